/* The class palette (a .ui template): a row per class of the project's class spec with its
 * colour, name and number key; says which class the user picked. */
#pragma once

#include <gtk/gtk.h>

#include "rl-class-spec.h"

G_BEGIN_DECLS

#define RELABEL_TYPE_PALETTE (relabel_palette_get_type ())
G_DECLARE_FINAL_TYPE (RelabelPalette, relabel_palette, RELABEL, PALETTE, GtkBox)

/* Signals:
 *   "class-selected" (int value)   a row was selected (by the user or the functions below) */

GtkWidget *relabel_palette_new (void);
/* Rebuilds the rows from spec (classes only, not void values; NULL: none) and selects the first. */
void relabel_palette_set_spec (RelabelPalette *self, const RlClassSpec *spec);
/* The number of classes (rows), whatever the search shows. */
guint relabel_palette_get_n_classes (RelabelPalette *self);
/* Selects the row of label value (nothing when it has none). */
void relabel_palette_select_value (RelabelPalette *self, int value);
/* Selects row i (the number keys: 0 is the first row); nothing when out of range. */
void relabel_palette_select_index (RelabelPalette *self, int i);

G_END_DECLS
