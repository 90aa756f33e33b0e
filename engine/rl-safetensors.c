/* Safetensors reading (with full validation) and atomic writing for model files.
 * Assumes a little-endian host, as every platform Relabel targets is. */
#include "rl-safetensors.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rl-json.h"

#define MAX_HEADER (100u * 1024u * 1024u)

static size_t
dtype_size (const char *dtype)
{
  static const struct { const char *name; size_t size; } types[] = {
    { "F64", 8 }, { "F32", 4 }, { "F16", 2 }, { "BF16", 2 }, { "I64", 8 }, { "I32", 4 },
    { "I16", 2 }, { "I8", 1 }, { "U64", 8 }, { "U32", 4 }, { "U16", 2 }, { "U8", 1 },
    { "BOOL", 1 } };
  for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
    if (strcmp (types[i].name, dtype) == 0)
      return types[i].size;
  return 0;
}

void
rl_safetensors_free (RlSafetensors *st)
{
  if (st == NULL)
    return;
  for (int i = 0; i < st->n_tensors; i++)
    {
      free (st->tensors[i].name);
      free (st->tensors[i].data);
    }
  free (st->tensors);
  for (int i = 0; i < st->n_meta; i++)
    {
      free (st->meta_keys[i]);
      free (st->meta_values[i]);
    }
  free (st->meta_keys);
  free (st->meta_values);
  free (st);
}

const RlStTensor *
rl_safetensors_find (const RlSafetensors *st, const char *name)
{
  for (int i = 0; i < st->n_tensors; i++)
    if (strcmp (st->tensors[i].name, name) == 0)
      return &st->tensors[i];
  return NULL;
}

const char *
rl_safetensors_meta (const RlSafetensors *st, const char *key)
{
  for (int i = 0; i < st->n_meta; i++)
    if (strcmp (st->meta_keys[i], key) == 0)
      return st->meta_values[i];
  return NULL;
}

typedef struct
{
  size_t begin, end;
  int index;
} Range;

static int
range_cmp (const void *a, const void *b)
{
  const Range *ra = a, *rb = b;
  if (ra->begin != rb->begin)
    return ra->begin < rb->begin ? -1 : 1;
  return ra->end < rb->end ? -1 : ra->end > rb->end;
}

static int
json_is_uint (const RlJson *j, double max)
{
  return j->type == RL_JSON_NUMBER && j->number >= 0 && j->number <= max
         && j->number == (double) (uint64_t) j->number;
}

/* Fills st from the parsed header; data_len is the byte length after the header. */
static RlStatus
parse_header (const char *path, const RlJson *h, const unsigned char *data, size_t data_len,
              RlSafetensors *st, RlError *err)
{
  if (h->type != RL_JSON_OBJECT)
    return rl_error_set (err, RL_ERR_FORMAT, "%s: header is not a JSON object", path);
  st->tensors = calloc ((size_t) h->n + 1, sizeof *st->tensors);
  Range *ranges = calloc ((size_t) h->n + 1, sizeof *ranges);
  if (st->tensors == NULL || ranges == NULL)
    {
      free (ranges);
      return rl_error_set (err, RL_ERR_NOMEM, "%s: out of memory", path);
    }
  RlStatus status = RL_OK;
  int n_ranges = 0;
  for (int i = 0; i < h->n && status == RL_OK; i++)
    {
      const char *key = h->keys[i];
      const RlJson *v = &h->items[i];
      for (int k = 0; k < i; k++)
        if (strcmp (h->keys[k], key) == 0)
          {
            status = rl_error_set (err, RL_ERR_FORMAT, "%s: duplicate key '%s'", path, key);
            break;
          }
      if (status != RL_OK)
        break;
      if (strcmp (key, "__metadata__") == 0)
        {
          if (v->type != RL_JSON_OBJECT)
            {
              status = rl_error_set (err, RL_ERR_FORMAT, "%s: __metadata__ is not an object",
                                     path);
              break;
            }
          st->meta_keys = calloc ((size_t) v->n + 1, sizeof (char *));
          st->meta_values = calloc ((size_t) v->n + 1, sizeof (char *));
          if (st->meta_keys == NULL || st->meta_values == NULL)
            {
              status = rl_error_set (err, RL_ERR_NOMEM, "%s: out of memory", path);
              break;
            }
          for (int m = 0; m < v->n; m++)
            {
              if (v->items[m].type != RL_JSON_STRING)
                {
                  status = rl_error_set (err, RL_ERR_FORMAT,
                                         "%s: metadata '%s' is not a string", path, v->keys[m]);
                  break;
                }
              st->meta_keys[m] = strdup (v->keys[m]);
              st->meta_values[m] = strdup (v->items[m].string);
              st->n_meta = m + 1;
              if (st->meta_keys[m] == NULL || st->meta_values[m] == NULL)
                {
                  status = rl_error_set (err, RL_ERR_NOMEM, "%s: out of memory", path);
                  break;
                }
            }
          continue;
        }
      const RlJson *dt = rl_json_get (v, "dtype");
      const RlJson *shape = rl_json_get (v, "shape");
      const RlJson *offs = rl_json_get (v, "data_offsets");
      if (dt == NULL || dt->type != RL_JSON_STRING || shape == NULL
          || shape->type != RL_JSON_ARRAY || offs == NULL || offs->type != RL_JSON_ARRAY)
        {
          status = rl_error_set (err, RL_ERR_FORMAT,
                                 "%s: tensor '%s' lacks dtype, shape or data_offsets", path, key);
          break;
        }
      size_t esize = dtype_size (dt->string);
      if (esize == 0)
        {
          status = rl_error_set (err, RL_ERR_FORMAT, "%s: tensor '%s' has unknown dtype '%.16s'",
                                 path, key, dt->string);
          break;
        }
      if (shape->n > RL_ST_MAX_DIMS)
        {
          status = rl_error_set (err, RL_ERR_FORMAT, "%s: tensor '%s' has %d dimensions",
                                 path, key, shape->n);
          break;
        }
      RlStTensor *t = &st->tensors[st->n_tensors];
      size_t count = 1;
      for (int d = 0; d < shape->n; d++)
        {
          if (!json_is_uint (&shape->items[d], 1e12))
            {
              status = rl_error_set (err, RL_ERR_FORMAT, "%s: tensor '%s' has a bad shape",
                                     path, key);
              break;
            }
          t->shape[d] = (int64_t) shape->items[d].number;
          if (t->shape[d] != 0 && count > data_len / (size_t) t->shape[d])
            {
              status = rl_error_set (err, RL_ERR_FORMAT,
                                     "%s: tensor '%s' is larger than the file", path, key);
              break;
            }
          count *= (size_t) t->shape[d];
        }
      if (status != RL_OK)
        break;
      if (offs->n != 2 || !json_is_uint (&offs->items[0], 1e15)
          || !json_is_uint (&offs->items[1], 1e15))
        {
          status = rl_error_set (err, RL_ERR_FORMAT, "%s: tensor '%s' has bad data_offsets",
                                 path, key);
          break;
        }
      size_t begin = (size_t) offs->items[0].number, end = (size_t) offs->items[1].number;
      if (begin > end || end > data_len)
        {
          status = rl_error_set (err, RL_ERR_FORMAT,
                                 "%s: tensor '%s' data [%zu, %zu) is outside the %zu data bytes",
                                 path, key, begin, end, data_len);
          break;
        }
      if (end - begin != count * esize)
        {
          status = rl_error_set (err, RL_ERR_FORMAT,
                                 "%s: tensor '%s' holds %zu bytes but its shape needs %zu",
                                 path, key, end - begin, count * esize);
          break;
        }
      t->name = strdup (key);
      snprintf (t->dtype, sizeof t->dtype, "%s", dt->string);
      t->ndim = shape->n;
      t->count = count;
      t->data = malloc (end - begin + 1);
      st->n_tensors++;
      if (t->name == NULL || t->data == NULL)
        {
          status = rl_error_set (err, RL_ERR_NOMEM, "%s: out of memory", path);
          break;
        }
      memcpy (t->data, data + begin, end - begin);
      ranges[n_ranges].begin = begin;
      ranges[n_ranges].end = end;
      ranges[n_ranges].index = st->n_tensors - 1;
      n_ranges++;
    }
  if (status == RL_OK)
    {
      /* As the reference implementation: the ranges tile the data exactly. */
      qsort (ranges, (size_t) n_ranges, sizeof *ranges, range_cmp);
      size_t pos = 0;
      for (int i = 0; i < n_ranges && status == RL_OK; i++)
        {
          if (ranges[i].begin != pos)
            status = rl_error_set (err, RL_ERR_FORMAT,
                                   "%s: tensor '%s' data %s at byte %zu", path,
                                   st->tensors[ranges[i].index].name,
                                   ranges[i].begin < pos ? "overlaps another" : "leaves a gap",
                                   ranges[i].begin);
          pos = ranges[i].end;
        }
      if (status == RL_OK && pos != data_len)
        status = rl_error_set (err, RL_ERR_FORMAT, "%s: %zu trailing data bytes belong to no tensor",
                               path, data_len - pos);
    }
  free (ranges);
  return status;
}

RlStatus
rl_safetensors_read (const char *path, RlSafetensors **out, RlError *err)
{
  *out = NULL;
  FILE *f = fopen (path, "rb");
  if (f == NULL)
    return rl_error_set (err, RL_ERR_IO, "%s: %s", path, strerror (errno));
  RlStatus status = RL_OK;
  unsigned char lenbuf[8];
  unsigned char *buf = NULL;
  RlJson *header = NULL;
  RlSafetensors *st = NULL;
  long file_size;
  if (fseek (f, 0, SEEK_END) != 0 || (file_size = ftell (f)) < 0 || fseek (f, 0, SEEK_SET) != 0)
    {
      status = rl_error_set (err, RL_ERR_IO, "%s: cannot seek: %s", path, strerror (errno));
      goto out;
    }
  /* Checked before anything is read: the whole file is held in memory while it is checked. */
  if ((unsigned long long) file_size > RL_ST_MAX_FILE)
    {
      status = rl_error_set (err, RL_ERR_FORMAT,
                             "%s: %ld bytes is too large for a model file (at most %llu)", path,
                             file_size, (unsigned long long) RL_ST_MAX_FILE);
      goto out;
    }
  if (file_size < 8 || fread (lenbuf, 1, 8, f) != 8)
    {
      status = rl_error_set (err, RL_ERR_FORMAT, "%s: too short for a safetensors file", path);
      goto out;
    }
  uint64_t hlen = 0;
  for (int i = 7; i >= 0; i--)
    hlen = (hlen << 8) | lenbuf[i];
  if (hlen > (uint64_t) file_size - 8)
    {
      status = rl_error_set (err, RL_ERR_FORMAT,
                             "%s: header length %llu exceeds the file size %ld (truncated?)",
                             path, (unsigned long long) hlen, file_size);
      goto out;
    }
  if (hlen > MAX_HEADER || hlen < 2)
    {
      status = rl_error_set (err, RL_ERR_FORMAT, "%s: implausible header length %llu", path,
                             (unsigned long long) hlen);
      goto out;
    }
  size_t rest = (size_t) file_size - 8;
  buf = malloc (rest + 1);
  if (buf == NULL)
    {
      status = rl_error_set (err, RL_ERR_NOMEM, "%s: out of memory (%zu bytes)", path, rest);
      goto out;
    }
  if (fread (buf, 1, rest, f) != rest)
    {
      status = rl_error_set (err, RL_ERR_IO, "%s: short read", path);
      goto out;
    }
  if (memchr (buf, '\0', hlen) != NULL)
    {
      status = rl_error_set (err, RL_ERR_FORMAT, "%s: NUL byte in the header", path);
      goto out;
    }
  RlError jerr = { { 0 } };
  if (rl_json_parse ((const char *) buf, hlen, &header, &jerr) != RL_OK)
    {
      status = rl_error_set (err, RL_ERR_FORMAT, "%s: %s", path, jerr.text);
      goto out;
    }
  st = calloc (1, sizeof *st);
  if (st == NULL)
    {
      status = rl_error_set (err, RL_ERR_NOMEM, "%s: out of memory", path);
      goto out;
    }
  status = parse_header (path, header, buf + hlen, rest - hlen, st, err);
out:
  fclose (f);
  free (buf);
  rl_json_free (header);
  if (status != RL_OK)
    rl_safetensors_free (st);
  else
    *out = st;
  return status;
}

/* Appends printf output to a growing buffer. */
typedef struct
{
  char *s;
  size_t len, cap;
  int failed;
} Buf;

static void
buf_reserve (Buf *b, size_t extra)
{
  if (b->failed || b->len + extra + 1 <= b->cap)
    return;
  size_t cap = b->cap == 0 ? 4096 : b->cap;
  while (cap < b->len + extra + 1)
    cap *= 2;
  char *s = realloc (b->s, cap);
  if (s == NULL)
    {
      b->failed = 1;
      return;
    }
  b->s = s;
  b->cap = cap;
}

static void
buf_printf (Buf *b, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

static void
buf_printf (Buf *b, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  int n = vsnprintf (NULL, 0, fmt, ap);
  va_end (ap);
  buf_reserve (b, (size_t) n);
  if (b->failed)
    return;
  va_start (ap, fmt);
  vsnprintf (b->s + b->len, b->cap - b->len, fmt, ap);
  va_end (ap);
  b->len += (size_t) n;
}

static void
buf_string (Buf *b, const char *s)
{
  size_t need = strlen (s) * 6 + 3;
  buf_reserve (b, need);
  if (b->failed)
    return;
  long n = rl_json_escape (b->s, b->cap, b->len, s);
  if (n < 0)
    b->failed = 1;
  else
    b->len = (size_t) n;
}

RlStatus
rl_safetensors_write (const char *path, const RlStWrite *tensors, int n,
                      const char *const *meta, int n_meta, RlError *err)
{
  Buf b = { 0 };
  buf_printf (&b, "{");
  if (n_meta > 0)
    {
      buf_printf (&b, "\"__metadata__\":{");
      for (int i = 0; i < n_meta; i++)
        {
          buf_string (&b, meta[2 * i]);
          buf_printf (&b, ":");
          buf_string (&b, meta[2 * i + 1]);
          if (i + 1 < n_meta)
            buf_printf (&b, ",");
        }
      buf_printf (&b, "}");
    }
  size_t offset = 0;
  for (int i = 0; i < n; i++)
    {
      size_t count = 1;
      buf_printf (&b, "%s", (i > 0 || n_meta > 0) ? "," : "");
      buf_string (&b, tensors[i].name);
      buf_printf (&b, ":{\"dtype\":\"F32\",\"shape\":[");
      for (int d = 0; d < tensors[i].ndim; d++)
        {
          buf_printf (&b, "%s%lld", d ? "," : "", (long long) tensors[i].shape[d]);
          count *= (size_t) tensors[i].shape[d];
        }
      buf_printf (&b, "],\"data_offsets\":[%zu,%zu]}", offset, offset + 4 * count);
      offset += 4 * count;
    }
  buf_printf (&b, "}");
  while (!b.failed && b.len % 8 != 0)
    buf_printf (&b, " ");
  if (b.failed)
    {
      free (b.s);
      return rl_error_set (err, RL_ERR_NOMEM, "%s: out of memory writing the header", path);
    }

  size_t plen = strlen (path);
  char *tmp = malloc (plen + 16);
  if (tmp == NULL)
    {
      free (b.s);
      return rl_error_set (err, RL_ERR_NOMEM, "%s: out of memory", path);
    }
  snprintf (tmp, plen + 16, "%s.tmp-XXXXXX", path);
  int fd = mkstemp (tmp);
  if (fd < 0)
    {
      RlStatus st = rl_error_set (err, RL_ERR_IO, "%s: cannot create a temporary file: %s",
                                  path, strerror (errno));
      free (tmp);
      free (b.s);
      return st;
    }
  /* mkstemp makes the file 0600; a model file is as readable as any other. */
  FILE *f = fchmod (fd, 0644) == 0 ? fdopen (fd, "wb") : NULL;
  int ok = f != NULL;
  unsigned char lenbuf[8];
  uint64_t hlen = b.len;
  for (int i = 0; i < 8; i++)
    lenbuf[i] = (unsigned char) (hlen >> (8 * i));
  ok = ok && fwrite (lenbuf, 1, 8, f) == 8 && fwrite (b.s, 1, b.len, f) == b.len;
  for (int i = 0; i < n && ok; i++)
    {
      size_t count = 1;
      for (int d = 0; d < tensors[i].ndim; d++)
        count *= (size_t) tensors[i].shape[d];
      ok = count == 0 || fwrite (tensors[i].data, sizeof (float), count, f) == count;
    }
  ok = ok && fflush (f) == 0 && fsync (fileno (f)) == 0;
  int saved = errno;
  if (f != NULL)
    ok = (fclose (f) == 0) && ok;
  else
    close (fd);
  free (b.s);
  if (!ok || rename (tmp, path) != 0)
    {
      if (ok)
        saved = errno;
      unlink (tmp);
      free (tmp);
      return rl_error_set (err, RL_ERR_IO, "%s: cannot write: %s", path, strerror (saved));
    }
  free (tmp);
  return RL_OK;
}
