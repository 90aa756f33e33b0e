/* Safetensors files: 8-byte little-endian header length, a JSON header naming each tensor's
 * dtype, shape and byte range, then the raw little-endian data. Reading validates everything. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include "rl-status.h"

#define RL_ST_MAX_DIMS 8

typedef struct
{
  char *name;
  char dtype[8];                 /* "F32", "I64", ... as in the file */
  int ndim;
  int64_t shape[RL_ST_MAX_DIMS];
  size_t count;                  /* product of shape */
  void *data;                    /* count elements of dtype; float * when dtype is "F32" */
} RlStTensor;

typedef struct
{
  int n_tensors;
  RlStTensor *tensors;
  int n_meta;
  char **meta_keys;              /* __metadata__ (string values only) */
  char **meta_values;
} RlSafetensors;

/* Files above this are refused before any of them is read (the whole file is held in memory):
 * SegNet's largest model is about 120 MB. */
#define RL_ST_MAX_FILE (2ull << 30)

/* Reads and validates path: file size (RL_ST_MAX_FILE), header length against file size (and a
 * 100 MB cap), well-formed JSON, known dtypes, shapes, byte ranges in range and matching the
 * shape, no gaps or overlap, string metadata. *out is NULL on failure; the message names the
 * file and the cause. */
RlStatus rl_safetensors_read (const char *path, RlSafetensors **out, RlError *err);
void rl_safetensors_free (RlSafetensors *st);  /* accepts NULL */

const RlStTensor *rl_safetensors_find (const RlSafetensors *st, const char *name);  /* borrowed */
const char *rl_safetensors_meta (const RlSafetensors *st, const char *key);         /* borrowed */

/* One F32 tensor to write; data is (shape...) row-major, borrowed. */
typedef struct
{
  const char *name;
  int ndim;
  int64_t shape[RL_ST_MAX_DIMS];
  const float *data;
} RlStWrite;

/* Writes n tensors and the metadata pairs meta[0..2*n_meta) = key, value, ... to a temporary
 * file in path's folder, fsyncs and renames it into place (never half-written). */
RlStatus rl_safetensors_write (const char *path, const RlStWrite *tensors, int n,
                               const char *const *meta, int n_meta, RlError *err);
