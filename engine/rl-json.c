/* A small JSON reader for safetensors headers and their metadata.
 * Recursive descent with a depth limit, so hostile files cannot overflow the stack. */
#include "rl-json.h"

#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <stdio.h>

#define MAX_DEPTH 64

typedef struct
{
  const char *s;
  size_t len, pos;
  RlError *err;
} Parser;

static RlStatus
fail (Parser *p, const char *what)
{
  return rl_error_set (p->err, RL_ERR_FORMAT, "bad JSON at byte %zu: %s", p->pos, what);
}

static void
skip_ws (Parser *p)
{
  while (p->pos < p->len && (p->s[p->pos] == ' ' || p->s[p->pos] == '\t'
                             || p->s[p->pos] == '\n' || p->s[p->pos] == '\r'))
    p->pos++;
}

static void
json_clear (RlJson *j)
{
  if (j == NULL)
    return;
  free (j->string);
  for (int i = 0; i < j->n; i++)
    {
      if (j->keys != NULL)
        free (j->keys[i]);
      if (j->items != NULL)
        json_clear (&j->items[i]);
    }
  free (j->keys);
  free (j->items);
  memset (j, 0, sizeof *j);
}

void
rl_json_free (RlJson *json)
{
  json_clear (json);
  free (json);
}

static int
hex4 (Parser *p, unsigned *out)
{
  if (p->pos + 4 > p->len)
    return 0;
  unsigned v = 0;
  for (int i = 0; i < 4; i++)
    {
      char c = p->s[p->pos + i];
      v <<= 4;
      if (c >= '0' && c <= '9') v |= (unsigned) (c - '0');
      else if (c >= 'a' && c <= 'f') v |= (unsigned) (c - 'a' + 10);
      else if (c >= 'A' && c <= 'F') v |= (unsigned) (c - 'A' + 10);
      else return 0;
    }
  p->pos += 4;
  *out = v;
  return 1;
}

static RlStatus
parse_string (Parser *p, char **out)
{
  /* p->s[p->pos] == '"' */
  p->pos++;
  size_t cap = 16, n = 0;
  char *buf = malloc (cap);
  if (buf == NULL)
    return rl_error_set (p->err, RL_ERR_NOMEM, "out of memory parsing JSON");
  for (;;)
    {
      if (p->pos >= p->len)
        {
          free (buf);
          return fail (p, "unterminated string");
        }
      unsigned char c = (unsigned char) p->s[p->pos++];
      unsigned cp;
      if (c == '"')
        break;
      if (c < 0x20)
        {
          free (buf);
          return fail (p, "control character in string");
        }
      if (n + 5 > cap)
        {
          cap *= 2;
          char *nb = realloc (buf, cap);
          if (nb == NULL)
            {
              free (buf);
              return rl_error_set (p->err, RL_ERR_NOMEM, "out of memory parsing JSON");
            }
          buf = nb;
        }
      if (c != '\\')
        {
          buf[n++] = (char) c;
          continue;
        }
      if (p->pos >= p->len)
        {
          free (buf);
          return fail (p, "unterminated escape");
        }
      c = (unsigned char) p->s[p->pos++];
      switch (c)
        {
        case '"': buf[n++] = '"'; continue;
        case '\\': buf[n++] = '\\'; continue;
        case '/': buf[n++] = '/'; continue;
        case 'b': buf[n++] = '\b'; continue;
        case 'f': buf[n++] = '\f'; continue;
        case 'n': buf[n++] = '\n'; continue;
        case 'r': buf[n++] = '\r'; continue;
        case 't': buf[n++] = '\t'; continue;
        case 'u':
          if (!hex4 (p, &cp))
            {
              free (buf);
              return fail (p, "bad \\u escape");
            }
          if (cp >= 0xD800 && cp < 0xDC00)
            {
              unsigned lo;
              if (p->pos + 2 > p->len || p->s[p->pos] != '\\' || p->s[p->pos + 1] != 'u')
                {
                  free (buf);
                  return fail (p, "lone surrogate");
                }
              p->pos += 2;
              if (!hex4 (p, &lo) || lo < 0xDC00 || lo > 0xDFFF)
                {
                  free (buf);
                  return fail (p, "bad surrogate pair");
                }
              cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            }
          else if (cp >= 0xDC00 && cp <= 0xDFFF)
            {
              free (buf);
              return fail (p, "lone surrogate");
            }
          if (cp == 0)
            {
              free (buf);
              return fail (p, "NUL in string");
            }
          if (cp < 0x80)
            buf[n++] = (char) cp;
          else if (cp < 0x800)
            {
              buf[n++] = (char) (0xC0 | (cp >> 6));
              buf[n++] = (char) (0x80 | (cp & 0x3F));
            }
          else if (cp < 0x10000)
            {
              buf[n++] = (char) (0xE0 | (cp >> 12));
              buf[n++] = (char) (0x80 | ((cp >> 6) & 0x3F));
              buf[n++] = (char) (0x80 | (cp & 0x3F));
            }
          else
            {
              buf[n++] = (char) (0xF0 | (cp >> 18));
              buf[n++] = (char) (0x80 | ((cp >> 12) & 0x3F));
              buf[n++] = (char) (0x80 | ((cp >> 6) & 0x3F));
              buf[n++] = (char) (0x80 | (cp & 0x3F));
            }
          continue;
        default:
          free (buf);
          return fail (p, "bad escape");
        }
    }
  buf[n] = '\0';
  *out = buf;
  return RL_OK;
}

static RlStatus parse_value (Parser *p, RlJson *out, int depth);

static RlStatus
grow (Parser *p, RlJson *j, int *cap, int with_keys)
{
  if (j->n < *cap)
    return RL_OK;
  int nc = *cap == 0 ? 8 : *cap * 2;
  RlJson *items = realloc (j->items, (size_t) nc * sizeof *items);
  if (items == NULL)
    return rl_error_set (p->err, RL_ERR_NOMEM, "out of memory parsing JSON");
  j->items = items;
  if (with_keys)
    {
      char **keys = realloc (j->keys, (size_t) nc * sizeof *keys);
      if (keys == NULL)
        return rl_error_set (p->err, RL_ERR_NOMEM, "out of memory parsing JSON");
      j->keys = keys;
    }
  *cap = nc;
  return RL_OK;
}

static RlStatus
parse_container (Parser *p, RlJson *j, int depth, int object)
{
  int cap = 0;
  RlStatus st;
  char close = object ? '}' : ']';
  p->pos++;
  j->type = object ? RL_JSON_OBJECT : RL_JSON_ARRAY;
  skip_ws (p);
  if (p->pos < p->len && p->s[p->pos] == close)
    {
      p->pos++;
      return RL_OK;
    }
  for (;;)
    {
      char *key = NULL;
      skip_ws (p);
      if (object)
        {
          if (p->pos >= p->len || p->s[p->pos] != '"')
            return fail (p, "expected a key");
          if ((st = parse_string (p, &key)) != RL_OK)
            return st;
          skip_ws (p);
          if (p->pos >= p->len || p->s[p->pos] != ':')
            {
              free (key);
              return fail (p, "expected ':'");
            }
          p->pos++;
        }
      if ((st = grow (p, j, &cap, object)) != RL_OK)
        {
          free (key);
          return st;
        }
      memset (&j->items[j->n], 0, sizeof j->items[j->n]);
      if (object)
        j->keys[j->n] = key;
      j->n++;
      if ((st = parse_value (p, &j->items[j->n - 1], depth + 1)) != RL_OK)
        return st;
      skip_ws (p);
      if (p->pos >= p->len)
        return fail (p, "unterminated container");
      if (p->s[p->pos] == ',')
        {
          p->pos++;
          continue;
        }
      if (p->s[p->pos] == close)
        {
          p->pos++;
          return RL_OK;
        }
      return fail (p, "expected ',' or end of container");
    }
}

static RlStatus
parse_number (Parser *p, RlJson *j)
{
  size_t start = p->pos;
  if (p->pos < p->len && p->s[p->pos] == '-')
    p->pos++;
  size_t digits = p->pos;
  while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9')
    p->pos++;
  if (p->pos == digits)
    return fail (p, "bad number");
  if (p->pos < p->len && p->s[p->pos] == '.')
    {
      p->pos++;
      size_t f = p->pos;
      while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9')
        p->pos++;
      if (p->pos == f)
        return fail (p, "bad number");
    }
  if (p->pos < p->len && (p->s[p->pos] == 'e' || p->s[p->pos] == 'E'))
    {
      p->pos++;
      if (p->pos < p->len && (p->s[p->pos] == '+' || p->s[p->pos] == '-'))
        p->pos++;
      size_t e = p->pos;
      while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9')
        p->pos++;
      if (p->pos == e)
        return fail (p, "bad number");
    }
  char tmp[64];
  size_t n = p->pos - start;
  if (n >= sizeof tmp)
    return fail (p, "number too long");
  memcpy (tmp, p->s + start, n);
  tmp[n] = '\0';
  j->type = RL_JSON_NUMBER;
  j->number = strtod (tmp, NULL);
  return RL_OK;
}

static RlStatus
parse_value (Parser *p, RlJson *j, int depth)
{
  if (depth > MAX_DEPTH)
    return fail (p, "nested too deeply");
  skip_ws (p);
  if (p->pos >= p->len)
    return fail (p, "unexpected end");
  char c = p->s[p->pos];
  if (c == '{' || c == '[')
    return parse_container (p, j, depth, c == '{');
  if (c == '"')
    {
      j->type = RL_JSON_STRING;
      return parse_string (p, &j->string);
    }
  if (c == '-' || (c >= '0' && c <= '9'))
    return parse_number (p, j);
  static const struct { const char *word; RlJsonType type; double v; } words[] = {
    { "true", RL_JSON_BOOL, 1 }, { "false", RL_JSON_BOOL, 0 }, { "null", RL_JSON_NULL, 0 } };
  for (size_t i = 0; i < 3; i++)
    {
      size_t wl = strlen (words[i].word);
      if (p->len - p->pos >= wl && memcmp (p->s + p->pos, words[i].word, wl) == 0)
        {
          p->pos += wl;
          j->type = words[i].type;
          j->number = words[i].v;
          return RL_OK;
        }
    }
  return fail (p, "unexpected character");
}

RlStatus
rl_json_parse (const char *text, size_t len, RlJson **out, RlError *err)
{
  Parser p = { text, len, 0, err };
  *out = NULL;
  RlJson *j = calloc (1, sizeof *j);
  if (j == NULL)
    return rl_error_set (err, RL_ERR_NOMEM, "out of memory parsing JSON");
  RlStatus st = parse_value (&p, j, 0);
  if (st == RL_OK)
    {
      skip_ws (&p);
      if (p.pos != p.len)
        st = fail (&p, "trailing characters");
    }
  if (st != RL_OK)
    {
      rl_json_free (j);
      return st;
    }
  *out = j;
  return RL_OK;
}

const RlJson *
rl_json_get (const RlJson *json, const char *key)
{
  if (json == NULL || json->type != RL_JSON_OBJECT)
    return NULL;
  for (int i = 0; i < json->n; i++)
    if (strcmp (json->keys[i], key) == 0)
      return &json->items[i];
  return NULL;
}

long
rl_json_escape (char *buf, size_t cap, size_t len, const char *s)
{
  size_t n = len;
#define PUT(ch) do { if (n + 1 >= cap) return -1; buf[n++] = (ch); } while (0)
  PUT ('"');
  for (const unsigned char *q = (const unsigned char *) s; *q; q++)
    {
      if (*q == '"' || *q == '\\')
        {
          PUT ('\\');
          PUT ((char) *q);
        }
      else if (*q < 0x20)
        {
          char tmp[8];
          snprintf (tmp, sizeof tmp, "\\u%04x", *q);
          for (int i = 0; tmp[i]; i++)
            PUT (tmp[i]);
        }
      else
        PUT ((char) *q);
    }
  PUT ('"');
#undef PUT
  buf[n] = '\0';
  return (long) n;
}
