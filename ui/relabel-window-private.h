/* What the window's files share (relabel-window.c: messages, the shown image, the palette,
 * recent projects, opening, closing, the GObject; relabel-window-list.c: the image list;
 * relabel-window-jobs.c: pre-label, retrain and rescores; relabel-window-actions.c: the
 * actions, their shortcuts and the file choosers): the window's struct and its functions.
 * Private to ui/relabel-window*.c. */
#pragma once

#include "relabel-window.h"

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "relabel-canvas.h"
#include "relabel-debug.h"
#include "relabel-image-item.h"
#include "relabel-tools.h"
#include "relabel-dashboard.h"
#include "relabel-palette.h"
#include "relabel-suspects-panel.h"
#include "rl-jobs.h"
#include "rl-session.h"
#include "rl-new-model.h"

typedef enum
{
  SORT_NAME,
  SORT_MIOU,
  SORT_BF,
  SORT_STATUS,
  SORT_EDITS,
} SortMode;

struct _RelabelWindow
{
  GtkApplicationWindow parent_instance;

  /* template */
  GtkLabel *title_label;
  GtkLabel *subtitle_label;
  GtkInfoBar *info_bar;
  GtkLabel *info_label;
  GtkInfoBar *retrain_bar;
  GtkLabel *retrain_label;
  GtkButton *retrain_switch;
  GtkDropDown *sort_dropdown;
  GtkDropDown *filter_dropdown;
  GtkSearchEntry *search_entry;
  GtkListView *image_list;
  GtkLabel *list_summary;
  RelabelCanvas *canvas;
  GtkLabel *empty_label;
  GtkAdjustment *brush_adjustment;
  GtkDropDown *view_dropdown;
  GtkAdjustment *opacity_adjustment;
  GtkLabel *status_label;
  GtkStack *job_stack;
  GtkLabel *job_label;
  GtkProgressBar *job_progress;
  GtkButton *cancel_button;
  GtkLabel *zoom_label;
  RelabelPalette *palette;
  GtkLabel *image_info_label;
  GMenu *recent_menu;
  GtkWidget *paned;
  RelabelSuspectsPanel *suspects_panel;

  /* the dashboard page (issue 18) */
  GtkStack *pages;
  RelabelDashboard *dashboard;
  GtkWidget *only_bar;        /* "Showing N images ..." above the list, with Show All */
  GtkLabel *only_label;
  GHashTable *only_names;     /* name -> rank (1 = first): the list shows only these, in order */
  gint64 cell_model;          /* highlight the pixels labelled cell_truth that cell_model */
  int cell_labels;            /* predicted cell_pred (labels: RlMaskKind); truth -1: none */
  int cell_truth, cell_pred;

  /* owned */
  RlSession *session;
  RelabelTools *tools;        /* wand, superpixels, clean-up, class picker (issue 20) */
  GSettings *settings;
  GListStore *store;
  GtkCustomSorter *sorter;
  GtkCustomFilter *filter;
  GtkSingleSelection *selection;
  char *tool;
  FILE *frame_log;
  RelabelDebug debug;       /* RELABEL_DEBUG (relabel-debug.h) */

  /* state */
  gboolean protect;
  gboolean erase_to_original;
  SortMode sort_mode;
  gint64 current_id;
  gint64 last_frame_time;
  char *pointer_text;
  gboolean has_project;       /* the session opened one */
  gboolean closing;           /* closed while a worker ran: hidden, destroyed when it returns */
  gint64 retrain_new_id;      /* the last Retrain's new version and its parent (0: none) */
  gint64 retrain_parent_id;
  gint64 retrain_current_id;  /* which of the two is current, as last set from this window */
  gboolean switching_model;   /* a make-current worker runs */
};

/* relabel-window.c */
void frame_log (RelabelWindow *self, const char *line);
void show_error (RelabelWindow *self, const GError *error);
void update_status (RelabelWindow *self);

/* relabel-window-list.c */
int compare_items (gconstpointer a, gconstpointer b, gpointer data);
gboolean filter_item (gpointer object, gpointer data);
RelabelImageItem *find_item (RelabelWindow *self, gint64 id, guint *position);
void on_filter_changed (RelabelWindow *self);
void on_image_changed (RlSession *session, RlImageInfo *info, RelabelWindow *self);
void on_sort_changed (GtkDropDown *dropdown, GParamSpec *pspec, RelabelWindow *self);
void row_bind (GtkSignalListItemFactory *factory, GtkListItem *list_item, gpointer data);
void row_setup (GtkSignalListItemFactory *factory, GtkListItem *list_item, gpointer data);
void row_unbind (GtkSignalListItemFactory *factory, GtkListItem *list_item, gpointer data);
void update_summary (RelabelWindow *self);

/* relabel-window-jobs.c */
void on_job_finished (RlSession *session, const char *kind, gboolean ok, GError *error,
                      gpointer result, RelabelWindow *self);
void on_job_progress (RlSession *session, double fraction, const char *text, RelabelWindow *self);
void on_rescored (RlSession *session, gint64 id, gboolean ok, double miou, double bf, double ms,
                  RelabelWindow *self);
void on_retrain_bar_response (GtkInfoBar *bar, int response, RelabelWindow *self);
void on_retrain_switch_clicked (GtkButton *button, RelabelWindow *self);
void set_job_visible (RelabelWindow *self, gboolean visible, const char *what);
void start_prelabel (RelabelWindow *self, gboolean all);
void start_retrain (RelabelWindow *self);

/* relabel-window-new-model.c (issue 17) */
void start_new_model_dialog (RelabelWindow *self);
void new_model_done (RelabelWindow *self, gboolean ok, const GError *error,
                     const RlNewModelResult *r);

/* relabel-window-dashboard.c */
void relabel_window_install_dashboard (RelabelWindow *self);
void relabel_window_request_highlight (RelabelWindow *self);
void action_export_dataset (GtkWidget *widget, const char *name, GVariant *param);
void action_page (GtkWidget *widget, const char *name, GVariant *param);

/* relabel-window-actions.c */
void on_brush_changed (GtkAdjustment *adj, RelabelWindow *self);
void on_canvas_view_changed (RelabelCanvas *canvas, RelabelWindow *self);
gboolean on_frame_tick (GtkWidget *widget, GdkFrameClock *clock, gpointer data);
void on_notice (RlSession *session, const char *text, RelabelWindow *self);
void on_opacity_changed (GtkAdjustment *adj, RelabelWindow *self);
void on_session_error (RlSession *session, const char *text, RelabelWindow *self);
void on_view_changed (GtkDropDown *dropdown, GParamSpec *pspec, RelabelWindow *self);
RelabelTool tool_from_name (const char *name);
void update_actions (RelabelWindow *self);
void relabel_window_install_actions (GtkWidgetClass *widget_class);
