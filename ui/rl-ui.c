/* Placeholder until the annotation workspace lands. */
#include <gtk/gtk.h>
