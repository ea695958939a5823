/**
 * The pixel layer: the series (CPU, call rows, state bands) are painted as whole-pixel rectangles into
 * one RGBA buffer and put on the screen with a single drawImage per frame. A zoomed-out row can need a
 * rectangle per pixel column, each in another colour; through the canvas API that is a fillStyle change
 * and a fillRect each (~1 µs: 45k of them took 45 ms a frame), through the buffer it is a few array
 * writes (the same 45k took 2 ms). So a frame costs what its pixels cost, as the level of detail intends.
 */
export class PixelLayer {
  private readonly canvas = document.createElement('canvas');
  private readonly ctx = this.canvas.getContext('2d')!;
  private image: ImageData | null = null;
  private px = new Uint32Array(0);
  private width = 0;
  private height = 0;
  private dpr = 1;
  /** Clip rectangle in device pixels: [x0, y0, x1, y1). */
  private clip = [0, 0, 0, 0];
  private dirty = false;
  private readonly packed = new Map<string, number>();
  private readonly probe = document.createElement('canvas').getContext('2d', { willReadFrequently: true })!;

  /** Start a frame of `width` x `height` CSS pixels, painting only inside the clip rectangle (CSS px). */
  begin(width: number, height: number, dpr: number, clipX: number, clipY: number): void {
    const w = Math.max(1, Math.floor(width * dpr));
    const h = Math.max(1, Math.floor(height * dpr));
    if (w !== this.width || h !== this.height) {
      this.width = this.canvas.width = w;
      this.height = this.canvas.height = h;
      this.image = this.ctx.createImageData(w, h);
      this.px = new Uint32Array(this.image.data.buffer);
    } else if (this.dirty) {
      this.px.fill(0);
    }
    this.dpr = dpr;
    this.clip = [Math.round(clipX * dpr), Math.round(clipY * dpr), w, h];
    this.dirty = false;
  }

  /** A rectangle in CSS pixels, snapped to device pixels. */
  rect(x: number, y: number, w: number, h: number, colour: string): void {
    const d = this.dpr;
    const x0 = Math.max(this.clip[0]!, Math.round(x * d));
    const x1 = Math.min(this.clip[2]!, Math.round((x + w) * d));
    const y0 = Math.max(this.clip[1]!, Math.round(y * d));
    const y1 = Math.min(this.clip[3]!, Math.round((y + h) * d));
    if (x1 <= x0 || y1 <= y0) return;
    const c = this.pack(colour);
    const px = this.px;
    const stride = this.width;
    for (let row = y0; row < y1; row++) px.fill(c, row * stride + x0, row * stride + x1);
    this.dirty = true;
  }

  /** Put what was painted onto `ctx` (whose transform maps CSS pixels to device pixels). */
  end(ctx: CanvasRenderingContext2D): void {
    if (!this.dirty || !this.image) return;
    this.ctx.putImageData(this.image, 0, 0);
    ctx.drawImage(this.canvas, 0, 0, this.width / this.dpr, this.height / this.dpr);
  }

  /** A CSS colour as the buffer's RGBA word (little endian: A B G R), parsed once by the browser. */
  private pack(colour: string): number {
    let c = this.packed.get(colour);
    if (c === undefined) {
      this.probe.clearRect(0, 0, 1, 1);
      this.probe.fillStyle = colour;
      this.probe.fillRect(0, 0, 1, 1);
      const [r, g, b, a] = this.probe.getImageData(0, 0, 1, 1).data;
      c = ((a! << 24) | (b! << 16) | (g! << 8) | r!) >>> 0;
      this.packed.set(colour, c);
    }
    return c;
  }
}
