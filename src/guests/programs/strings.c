/* strings: string handling. Reversing, palindromes, tokenizing, FNV-1a hashing with a word
   table, strstr searching, building text with snprintf, overlapping memmove, and character
   classes by table lookup. Prints each result and a checksum. */
#include "libc.h"

static const char *const corpus[] = {
    "It was the best of times, it was the worst of times, it was the age of wisdom,",
    "it was the age of foolishness, it was the epoch of belief, it was the epoch of",
    "incredulity, it was the season of Light, it was the season of Darkness, it was",
    "the spring of hope, it was the winter of despair, we had everything before us,",
    "we had nothing before us, we were all going direct to Heaven, we were all going",
    "direct the other way -- in short, the period was so far like the present period,",
    "that some of its noisiest authorities insisted on its being received, for good or",
    "for evil, in the superlative degree of comparison only. A man, a plan, a canal:",
    "Panama! Was it a car or a cat I saw? 12321 and 4554 are level; noon, civic, radar.",
};
#define NLINES (sizeof corpus / sizeof corpus[0])

static uint32_t checksum = 2166136261u;

static void mix(uint32_t v) {
  checksum ^= v;
  checksum *= 16777619u;
}

/* ---- character classes by table lookup ---- */
#define C_UPPER 1
#define C_LOWER 2
#define C_DIGIT 4
#define C_SPACE 8
#define C_PUNCT 16
static unsigned char ctype[256];
static unsigned char lower_of[256];

static void ctype_init(void) {
  int c;
  for (c = 0; c < 256; c++) {
    unsigned char t = 0;
    if (c >= 'A' && c <= 'Z') t = C_UPPER;
    else if (c >= 'a' && c <= 'z') t = C_LOWER;
    else if (c >= '0' && c <= '9') t = C_DIGIT;
    else if (c == ' ' || c == '\t' || c == '\n' || c == '\r') t = C_SPACE;
    else if (c > 32 && c < 127) t = C_PUNCT;
    ctype[c] = t;
    lower_of[c] = (unsigned char)(t == C_UPPER ? c + 32 : c);
  }
}

static int is_alnum(int c) { return (ctype[(unsigned char)c] & (C_UPPER | C_LOWER | C_DIGIT)) != 0; }
static int to_lower(int c) { return lower_of[(unsigned char)c]; }

/* ---- reversing and palindromes ---- */
static void reverse(char *s, size_t n) {
  size_t i, j;
  if (n < 2) return;
  for (i = 0, j = n - 1; i < j; i++, j--) {
    char t = s[i];
    s[i] = s[j];
    s[j] = t;
  }
}

/* Letters and digits only, case folded. */
static int is_palindrome(const char *s) {
  size_t i = 0, j = strlen(s);
  if (j == 0) return 1;
  j--;
  for (;;) {
    while (i < j && !is_alnum(s[i])) i++;
    while (i < j && !is_alnum(s[j])) j--;
    if (i >= j) return 1;
    if (to_lower(s[i]) != to_lower(s[j])) return 0;
    i++;
    j--;
  }
}

/* ---- tokenizing ---- */
/* Next token of letters/digits starting at *pos; copies it (lower-cased) into tok. */
static int next_token(const char *s, size_t *pos, char *tok, size_t cap) {
  size_t p = *pos, n = 0;
  while (s[p] && !is_alnum(s[p])) p++;
  if (!s[p]) {
    *pos = p;
    return 0;
  }
  while (s[p] && is_alnum(s[p])) {
    if (n + 1 < cap) tok[n++] = (char)to_lower(s[p]);
    p++;
  }
  tok[n] = 0;
  *pos = p;
  return 1;
}

/* ---- FNV-1a and a word table ---- */
static uint32_t fnv1a(const char *s) {
  uint32_t h = 2166136261u;
  while (*s) {
    h ^= (unsigned char)*s++;
    h *= 16777619u;
  }
  return h;
}

#define TABLE_SIZE 128
#define MAX_WORDS 160
struct word {
  char text[24];
  uint32_t hash;
  uint32_t count;
  int next; /* chain, -1 = end */
};
static struct word words[MAX_WORDS];
static int nwords;
static int buckets[TABLE_SIZE];

static void table_init(void) {
  int i;
  for (i = 0; i < TABLE_SIZE; i++) buckets[i] = -1;
  nwords = 0;
}

static struct word *table_add(const char *w) {
  uint32_t h = fnv1a(w);
  int i = buckets[h % TABLE_SIZE];
  while (i >= 0) {
    if (words[i].hash == h && strcmp(words[i].text, w) == 0) {
      words[i].count++;
      return &words[i];
    }
    i = words[i].next;
  }
  if (nwords == MAX_WORDS) return 0;
  i = nwords++;
  strncpy(words[i].text, w, sizeof words[i].text - 1);
  words[i].text[sizeof words[i].text - 1] = 0;
  words[i].hash = h;
  words[i].count = 1;
  words[i].next = buckets[h % TABLE_SIZE];
  buckets[h % TABLE_SIZE] = i;
  return &words[i];
}

/* More frequent first, then alphabetical. */
static int word_before(const struct word *a, const struct word *b) {
  if (a->count != b->count) return a->count > b->count;
  return strcmp(a->text, b->text) < 0;
}

/* ---- searching ---- */
static uint32_t count_occurrences(const char *hay, const char *needle) {
  uint32_t n = 0;
  const char *p = hay;
  while ((p = strstr(p, needle)) != 0) {
    n++;
    p++;
  }
  return n;
}

/* ---- building strings ---- */
static size_t append_field(char *buf, size_t cap, size_t len, const char *name, uint32_t value) {
  int r = snprintf(buf + len, cap - len, "%s%s=%u", len ? "," : "", name, value);
  if (r < 0) return len;
  len += (size_t)r;
  return len < cap ? len : cap - 1;
}

/* ---- overlapping moves ---- */
static uint32_t memmove_test(void) {
  char buf[96];
  uint32_t h;
  int i;
  for (i = 0; i < 64; i++) buf[i] = (char)('A' + i % 26);
  buf[64] = 0;
  memmove(buf + 5, buf, 40);  /* overlap, destination above */
  memmove(buf + 1, buf + 9, 30); /* overlap, destination below */
  memmove(buf + 20, buf + 20, 10); /* same place */
  buf[64] = 0;
  h = fnv1a(buf);
  printf("memmove: %.32s... hash %08x\n", buf, h);
  return h;
}

int main(void) {
  char line[128], tok[32], built[256];
  uint32_t counts[5] = {0, 0, 0, 0, 0}, ntok = 0, npal = 0, total_len = 0, round, i;
  size_t pos, len;
  int k;

  ctype_init();
  table_init();

  /* three passes over the text: class counts, tokens, hashes and reversals */
  for (round = 0; round < 3; round++) {
    for (i = 0; i < NLINES; i++) {
      const char *p;
      strcpy(line, corpus[i]);
      for (p = line; *p; p++) {
        unsigned char t = ctype[(unsigned char)*p];
        if (t & C_UPPER) counts[0]++;
        if (t & C_LOWER) counts[1]++;
        if (t & C_DIGIT) counts[2]++;
        if (t & C_SPACE) counts[3]++;
        if (t & C_PUNCT) counts[4]++;
      }
      pos = 0;
      while (next_token(line, &pos, tok, sizeof tok)) {
        ntok++;
        total_len += (uint32_t)strlen(tok);
        if (round == 0) table_add(tok);
        if (strlen(tok) > 2 && is_palindrome(tok)) npal++;
        reverse(tok, strlen(tok));
        mix(fnv1a(tok));
      }
      reverse(line, strlen(line));
      mix(fnv1a(line));
    }
  }
  printf("classes: upper %u lower %u digit %u space %u punct %u\n", counts[0], counts[1],
         counts[2], counts[3], counts[4]);
  printf("tokens: %u, total length %u, palindromic tokens %u, distinct words %d\n", ntok,
         total_len, npal, nwords);

  /* the most frequent words: selection of the best remaining entry, 8 times */
  for (k = 0; k < 8; k++) {
    int best = k, j;
    struct word t;
    for (j = k + 1; j < nwords; j++)
      if (word_before(&words[j], &words[best])) best = j;
    t = words[k];
    words[k] = words[best];
    words[best] = t;
    printf("  %-8s %2u  fnv1a %08x\n", words[k].text, words[k].count, words[k].hash);
    mix(words[k].count);
  }

  /* whole-line palindromes */
  {
    static const char *const cands[] = {"A man, a plan, a canal: Panama!",
                                        "Was it a car or a cat I saw?",
                                        "It was the best of times",
                                        "No lemon, no melon",
                                        "Step on no pets",
                                        "l4trace"};
    for (i = 0; i < sizeof cands / sizeof cands[0]; i++) {
      int p = is_palindrome(cands[i]);
      printf("  palindrome(\"%s\") = %d\n", cands[i], p);
      mix((uint32_t)p);
    }
  }

  /* numbers that read the same both ways */
  npal = 0;
  for (i = 0; i < 1500; i++) {
    char num[16];
    snprintf(num, sizeof num, "%u", i * 7u);
    if (is_palindrome(num)) npal++;
  }
  printf("palindromic multiples of 7 below 10500: %u\n", npal);
  mix(npal);

  /* searching */
  {
    static const char *const needles[] = {"it was", "the", "of", "season", "age", "xyz", "a"};
    char all[1024];
    all[0] = 0;
    for (i = 0; i < NLINES; i++) {
      strcat(all, corpus[i]);
      strcat(all, " ");
    }
    for (i = 0; i < sizeof needles / sizeof needles[0]; i++) {
      uint32_t n = count_occurrences(all, needles[i]);
      printf("  strstr \"%s\": %u\n", needles[i], n);
      mix(n);
    }
    printf("  strchr ',' at %d, strrchr 'e' at %d, length %u\n",
           (int)(strchr(all, ',') - all), (int)(strrchr(all, 'e') - all), (uint32_t)strlen(all));
  }

  /* building strings */
  len = 0;
  built[0] = 0;
  len = append_field(built, sizeof built, len, "lines", NLINES);
  len = append_field(built, sizeof built, len, "tokens", ntok);
  len = append_field(built, sizeof built, len, "words", (uint32_t)nwords);
  len = append_field(built, sizeof built, len, "upper", counts[0]);
  len = append_field(built, sizeof built, len, "hash", fnv1a(corpus[0]));
  printf("built: %s (%u chars)\n", built, (uint32_t)len);
  mix(fnv1a(built));
  {
    char small[16];
    int r = snprintf(small, sizeof small, "%s|%5d|%-5d|%05x|%c", "abc", 42, -7, 255u, 'Z');
    printf("truncated: \"%s\" (wanted %d)\n", small, r);
    mix((uint32_t)r);
  }

  mix(memmove_test());

  printf("checksum %08x\n", checksum);
  return 0;
}
