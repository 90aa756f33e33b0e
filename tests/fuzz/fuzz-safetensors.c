/* fuzz-safetensors: arbitrary bytes as a model file, read by rl_safetensors_read (every tensor
 * and metadata entry then looked at) and by rl_model_load (the SegNet checks on top). */
#include "fuzz.h"
#include "rl-model.h"
#include "rl-safetensors.h"

#include <string.h>

static size_t
dtype_size (const char *dtype)
{
  static const struct { const char *name; size_t size; } sizes[] = {
    { "F64", 8 }, { "F32", 4 }, { "F16", 2 }, { "BF16", 2 }, { "I64", 8 }, { "I32", 4 },
    { "I16", 2 }, { "I8", 1 }, { "U8", 1 }, { "BOOL", 1 }, { "U16", 2 }, { "U32", 4 },
    { "U64", 8 },
  };
  for (size_t i = 0; i < G_N_ELEMENTS (sizes); i++)
    if (strcmp (dtype, sizes[i].name) == 0)
      return sizes[i].size;
  return 0;
}

int
fuzz_one (const uint8_t *data, size_t size)
{
  char *path = fuzz_write_file ("model.safetensors", data, size);
  RlSafetensors *st = NULL;
  RlError err = { { 0 } };

  if (rl_safetensors_read (path, &st, &err) == RL_OK)
    {
      for (int i = 0; i < st->n_tensors; i++)
        {
          const RlStTensor *t = &st->tensors[i];
          size_t count = 1;
          if (t->ndim < 0 || t->ndim > RL_ST_MAX_DIMS)
            fuzz_fail ("tensor '%s' has %d dimensions", t->name, t->ndim);
          for (int d = 0; d < t->ndim; d++)
            {
              if (t->shape[d] < 0)
                fuzz_fail ("tensor '%s' has a negative side", t->name);
              count *= (size_t) t->shape[d];
            }
          if (count != t->count)
            fuzz_fail ("tensor '%s': count %zu is not the shape's product %zu", t->name,
                       t->count, count);
          size_t esize = dtype_size (t->dtype);
          if (esize == 0)
            fuzz_fail ("tensor '%s' has unknown dtype '%s'", t->name, t->dtype);
          /* Touch every byte: ASan reports data shorter than the shape claims. */
          const volatile uint8_t *bytes = t->data;
          uint8_t x = 0;
          for (size_t k = 0; k < count * esize; k++)
            x ^= bytes[k];
          (void) x;
          if (rl_safetensors_find (st, t->name) == NULL)
            fuzz_fail ("tensor '%s' is listed but not found", t->name);
        }
      for (int i = 0; i < st->n_meta; i++)
        if (rl_safetensors_meta (st, st->meta_keys[i]) == NULL)
          fuzz_fail ("metadata '%s' is listed but not found", st->meta_keys[i]);
      rl_safetensors_free (st);
    }
  else
    {
      if (st != NULL)
        fuzz_fail ("rl_safetensors_read failed but returned a file");
      fuzz_check_message ("rl_safetensors_read", err.text, path);
    }

  RlModel *model = NULL;
  memset (&err, 0, sizeof err);
  if (rl_model_load (path, &model, &err) == RL_OK)
    {
      int n = rl_model_num_classes (model);
      if (n < 1 || n > 256)
        fuzz_fail ("model loaded with %d classes", n);
      for (int i = 0; i < n; i++)
        (void) rl_model_class_name (model, i);
      rl_model_free (model);
    }
  else
    {
      if (model != NULL)
        fuzz_fail ("rl_model_load failed but returned a model");
      fuzz_check_message ("rl_model_load", err.text, path);
    }
  g_free (path);
  return 0;
}
