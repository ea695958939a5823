/*
 * auxv: reads the auxiliary vector the kernel put above the environment on the initial stack and
 * prints what it says about the program: the page size, whether AT_ENTRY is _start, and the program
 * headers (AT_PHDR, AT_PHENT, AT_PHNUM): their size and count, and that AT_PHDR points at them in
 * memory (the first one's type, and a PT_LOAD among them covering _start). With the argument
 * "stderr" it also writes one line to fd 2 and one to fd 1 (for the console routing of `l4trace run`).
 */
#include "libc.h"

void _start(void);

struct phdr {
  unsigned type, offset, vaddr, paddr, filesz, memsz, flags, align;
};

int main(int argc, char **argv, char **envp) {
  char **e = envp;
  while (*e) e++;
  unsigned *aux = (unsigned *)(e + 1);
  unsigned phdr = 0, phent = 0, phnum = 0, pagesz = 0, entry = 0;
  for (; aux[0] != 0; aux += 2) {
    switch (aux[0]) {
      case 3: phdr = aux[1]; break;
      case 4: phent = aux[1]; break;
      case 5: phnum = aux[1]; break;
      case 6: pagesz = aux[1]; break;
      case 9: entry = aux[1]; break;
    }
  }
  printf("AT_PAGESZ %u\n", pagesz);
  printf("AT_ENTRY is _start: %s\n", entry == (unsigned)_start ? "yes" : "no");
  printf("AT_PHENT %u, AT_PHNUM %u, AT_PHDR %s\n", phent, phnum, phdr ? "set" : "missing");
  if (phdr && phent == sizeof(struct phdr)) {
    const struct phdr *p = (const struct phdr *)phdr;
    int text = 0;
    for (unsigned i = 0; i < phnum; i++)
      if (p[i].type == 1 && (p[i].flags & 1) && p[i].vaddr <= (unsigned)_start && (unsigned)_start < p[i].vaddr + p[i].memsz) text = 1;
    printf("first program header: type %u; an executable PT_LOAD covers _start: %s\n", p[0].type, text ? "yes" : "no");
  }
  if (argc > 1 && strcmp(argv[1], "stderr") == 0) {
    dprintf(2, "auxv: this line goes to fd 2\n");
    printf("auxv: this line goes to fd 1\n");
  }
  return 0;
}
