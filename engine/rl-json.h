/* A small JSON reader for safetensors headers and their metadata (the engine has no GLib).
 * Parses into a tree of RlJson nodes; every failure gives a message with the byte offset. */
#pragma once

#include <stddef.h>
#include "rl-status.h"

typedef enum
{
  RL_JSON_NULL,
  RL_JSON_BOOL,
  RL_JSON_NUMBER,
  RL_JSON_STRING,
  RL_JSON_ARRAY,
  RL_JSON_OBJECT,
} RlJsonType;

typedef struct RlJson RlJson;
struct RlJson
{
  RlJsonType type;
  double number;     /* NUMBER, BOOL (0/1) */
  char *string;      /* STRING (NUL-terminated; embedded NULs are refused) */
  int n;             /* ARRAY/OBJECT: number of items */
  char **keys;       /* OBJECT: n keys */
  RlJson *items;     /* ARRAY/OBJECT: n values */
};

/* Parses text[0..len) (one value, whitespace around it allowed). *out is owned by the caller. */
RlStatus rl_json_parse (const char *text, size_t len, RlJson **out, RlError *err);
void rl_json_free (RlJson *json);  /* accepts NULL */

/* Member of an object by key, or NULL (also when json is not an object). Borrowed. */
const RlJson *rl_json_get (const RlJson *json, const char *key);

/* Appends s as a JSON string literal (quoted, escaped) to buf; returns the new length or -1 when
 * buf (capacity cap) is too small. */
long rl_json_escape (char *buf, size_t cap, size_t len, const char *s);
