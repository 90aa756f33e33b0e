/* A type-to-search class picker: a popover with a search entry over the class list (37 SUN RGB-D
 * classes do not fit the number keys). Typing filters by name (any part, any case), Enter or a
 * click picks the first / the clicked class, Escape closes. */
#pragma once

#include <gtk/gtk.h>
#include "rl-class-spec.h"

G_BEGIN_DECLS

#define RELABEL_TYPE_CLASS_PICKER (relabel_class_picker_get_type ())
G_DECLARE_FINAL_TYPE (RelabelClassPicker, relabel_class_picker, RELABEL, CLASS_PICKER, GtkPopover)

/* Signal "class-chosen" (int value). */
RelabelClassPicker *relabel_class_picker_new (void);
/* The classes offered (copied); void is offered too, last. */
void relabel_class_picker_set_spec (RelabelClassPicker *self, const RlClassSpec *spec);
/* Clears the search and pops up with the entry focused. */
void relabel_class_picker_open (RelabelClassPicker *self);
/* The search entry (tests type into it). */
GtkEditable *relabel_class_picker_get_entry (RelabelClassPicker *self);

G_END_DECLS
