/* Fuzz targets: each target's body is fuzz_one(), linked either into libFuzzer
 * (libfuzzer-main.c, -Dfuzzing=true with clang) or into a plain replay driver (replay-main.c)
 * that feeds it every file of the seed corpus and of tests/fuzz/regressions/TARGET, so the
 * inputs that once crashed are checked in every build, gcc included. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <glib.h>

/* Runs one input. Returns 0; any defect aborts (ASan, UBSan, or fuzz_fail below). */
int fuzz_one (const uint8_t *data, size_t size);

/* A private folder for this process (on /dev/shm when there is one: the project target syncs on
 * every transaction), removed at exit. */
const char *fuzz_tmpdir (void);
/* Writes data to NAME in fuzz_tmpdir () (replacing it) and returns the full path (owned by the
 * caller). Aborts if it cannot: a broken harness must not pass for a clean run. */
char *fuzz_write_file (const char *name, const void *data, size_t size);

/* Prints the message and aborts: a broken contract the sanitizers cannot see. */
void fuzz_fail (const char *fmt, ...) G_GNUC_PRINTF (1, 2) G_GNUC_NORETURN;

/* The error contract of every reader: a non-empty message on one line that names the file
 * (name may be NULL when the message is not expected to carry it). Aborts otherwise. */
void fuzz_check_message (const char *what, const char *message, const char *name);
/* A decoder that accepted an input: its size must be within 1..max_side per side and the buffer
 * must hold w x h x bytes_per_pixel bytes (the last one is read: ASan reports a shorter one). */
void fuzz_check_decoded (const char *what, int w, int h, const guint8 *pix,
                         gsize bytes_per_pixel, int max_side);
