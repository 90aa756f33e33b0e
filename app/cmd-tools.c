/* relabel wand/superpixel/cleanup: issue 20's correction tools from the command line, through
 * the same project functions the GUI calls (rl-project-tools.h); each command is one undoable
 * step committed before it returns. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli-options.h"
#include "relabel-cli.h"
#include "rl-project-tools.h"

static int
usage (const char *cmd, const char *msg)
{
  fprintf (stderr, "relabel %s: %s\n", cmd, msg);
  return 2;
}

static int
fail (GError *error)
{
  fprintf (stderr, "relabel: %s\n", error->message);
  return 1;
}

typedef struct
{
  char *project, *image, *cls, *at, *stroke, *polygon, *replace, *by;
  double radius, tolerance;
  int size, islands, holes;
  gboolean protect, accept;
} ToolArgs;

static void
tool_args_clear (ToolArgs *a)
{
  g_free (a->project);
  g_free (a->image);
  g_free (a->cls);
  g_free (a->at);
  g_free (a->stroke);
  g_free (a->polygon);
  g_free (a->replace);
  g_free (a->by);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (ToolArgs, tool_args_clear)

/* A class option resolved against the project's classes; prints the error itself. */
static gboolean
resolve_class (RlProject *project, const char *s, int *cls)
{
  *cls = rl_cli_parse_class (s, rl_project_get_class_spec (project));
  if (*cls < 0)
    {
      fprintf (stderr, "relabel: %s: unknown class '%s'\n", rl_project_get_path (project), s);
      return FALSE;
    }
  return TRUE;
}

static int
run (const char *cmd, int argc, char **argv)
{
  g_auto (ToolArgs) a = { 0 };
  a.tolerance = 20;
  a.size = 16;
  a.islands = a.holes = -1;
  gboolean is_wand = strcmp (cmd, "wand") == 0, is_sp = strcmp (cmd, "superpixel") == 0;
  const GOptionEntry common[] = {
    { "project", 0, 0, G_OPTION_ARG_FILENAME, &a.project, "Project file", "P" },
    { "image", 0, 0, G_OPTION_ARG_STRING, &a.image, "Image name", "NAME" },
    { NULL }
  };
  const GOptionEntry wand[] = {
    { "class", 0, 0, G_OPTION_ARG_STRING, &a.cls, "Class index or name", "C" },
    { "at", 0, 0, G_OPTION_ARG_STRING, &a.at, "Pixel X,Y clicked", "X,Y" },
    { "tolerance", 0, 0, G_OPTION_ARG_DOUBLE, &a.tolerance,
      "Colour distance to the clicked pixel, RGB units 0..442 (default 20)", "T" },
    { "protect", 0, 0, G_OPTION_ARG_NONE, &a.protect,
      "Protect other classes: only pixels of the clicked class or void change; the others stop "
      "the flood", NULL },
    { NULL }
  };
  const GOptionEntry sp[] = {
    { "class", 0, 0, G_OPTION_ARG_STRING, &a.cls, "Class index or name", "C" },
    { "radius", 0, 0, G_OPTION_ARG_DOUBLE, &a.radius, "Brush radius in pixels", "R" },
    { "stroke", 0, 0, G_OPTION_ARG_STRING, &a.stroke,
      "Pixel positions \"x,y x,y ...\" (pixel (x, y)'s centre)", "POINTS" },
    { "size", 0, 0, G_OPTION_ARG_INT, &a.size,
      "Superpixel size: SLIC grid step in pixels, 8, 16 or 32 in the GUI (default 16)", "S" },
    { "protect", 0, 0, G_OPTION_ARG_NONE, &a.protect,
      "Protect other classes: only pixels of the class under the stroke's start, or void", NULL },
    { NULL }
  };
  const GOptionEntry cleanup[] = {
    { "islands", 0, 0, G_OPTION_ARG_INT, &a.islands,
      "Class regions under N pixels take the surrounding majority class", "N" },
    { "holes", 0, 0, G_OPTION_ARG_INT, &a.holes,
      "Void regions under N pixels take the surrounding majority class", "N" },
    { "replace", 0, 0, G_OPTION_ARG_STRING, &a.replace,
      "Inside the region, class A becomes --by B", "A" },
    { "by", 0, 0, G_OPTION_ARG_STRING, &a.by, "Class that replaces --replace", "B" },
    { "accept-prediction", 0, 0, G_OPTION_ARG_NONE, &a.accept,
      "Inside the region, take the prediction", NULL },
    { "stroke", 0, 0, G_OPTION_ARG_STRING, &a.stroke, "Region: a brush stroke \"x,y ...\"",
      "POINTS" },
    { "radius", 0, 0, G_OPTION_ARG_DOUBLE, &a.radius, "Radius of the --stroke", "R" },
    { "polygon", 0, 0, G_OPTION_ARG_STRING, &a.polygon, "Region: a polygon \"x,y x,y x,y ...\"",
      "POINTS" },
    { "protect", 0, 0, G_OPTION_ARG_NONE, &a.protect,
      "With --accept-prediction: only void pixels change", NULL },
    { NULL }
  };
  const char *summary = is_wand ? "- magic wand: paint the similar colours around a pixel"
                        : is_sp ? "- superpixel brush: paint whole superpixels a stroke touches"
                                : "- clean up: islands, holes, replace a class, accept prediction";
  g_autoptr (GOptionContext) ctx = g_option_context_new (summary);
  g_option_context_add_main_entries (ctx, common, NULL);
  g_option_context_add_main_entries (ctx, is_wand ? wand : is_sp ? sp : cleanup, NULL);
  if (!rl_cli_parse (cmd, ctx, &argc, &argv))
    return 2;
  if (a.project == NULL || a.image == NULL)
    return usage (cmd, "--project and --image are required");

  /* Check the arguments before touching the project. */
  g_autoptr (GArray) xy = g_array_new (FALSE, FALSE, sizeof (double));
  int ax = 0, ay = 0;
  int n_ops = (a.islands >= 0) + (a.holes >= 0) + (a.replace != NULL) + a.accept;
  if (is_wand)
    {
      double x, y;
      if (a.cls == NULL || a.at == NULL)
        return usage (cmd, "--class and --at X,Y are required");
      if (!rl_cli_parse_point (a.at, &x, &y) || x != floor (x) || y != floor (y)
          || fabs (x) > G_MAXINT || fabs (y) > G_MAXINT)
        return usage (cmd, "--at wants integer pixel coordinates X,Y");
      if (!(a.tolerance >= 0) || !isfinite (a.tolerance))
        return usage (cmd, "--tolerance wants a number >= 0");
      ax = (int) x;
      ay = (int) y;
    }
  else if (is_sp)
    {
      if (a.cls == NULL || a.stroke == NULL || !(a.radius > 0) || !isfinite (a.radius))
        return usage (cmd, "--class, --stroke and a --radius > 0 are required");
      if (!rl_cli_parse_points (a.stroke, xy))
        return usage (cmd, "--stroke wants points \"x,y x,y ...\"");
      if (a.size < 2)
        return usage (cmd, "--size wants a superpixel size >= 2");
    }
  else
    {
      if (n_ops != 1)
        return usage (cmd, "give exactly one of --islands, --holes, --replace, "
                           "--accept-prediction");
      if (a.islands == 0 || a.islands == 1 || a.holes == 0 || a.holes == 1)
        return usage (cmd, "--islands and --holes want a size N >= 2 (regions under N change)");
      if (a.islands < -1 || a.holes < -1)
        return usage (cmd, "--islands and --holes want a size N >= 2");
      if ((a.replace != NULL) != (a.by != NULL))
        return usage (cmd, "--replace A needs --by B");
      if (a.replace != NULL || a.accept)
        {
          if ((a.stroke != NULL) == (a.polygon != NULL))
            return usage (cmd, "give the region as --stroke (with --radius) or --polygon");
          if (a.stroke != NULL && (!(a.radius > 0) || !isfinite (a.radius)))
            return usage (cmd, "--stroke needs a --radius > 0");
          if (!rl_cli_parse_points (a.stroke ? a.stroke : a.polygon, xy))
            return usage (cmd, "a region wants points \"x,y x,y ...\"");
          if (a.polygon != NULL && xy->len < 6)
            return usage (cmd, "--polygon wants at least 3 points");
        }
      else if (a.stroke != NULL || a.polygon != NULL)
        return usage (cmd, "--islands and --holes work on the whole image (no region)");
    }

  g_autoptr (GError) error = NULL;
  g_autoptr (RlProject) project = rl_project_open (a.project, FALSE, &error);
  if (project == NULL)
    return fail (error);
  g_autoptr (RlImageInfo) info = rl_project_find_image (project, a.image, &error);
  if (info == NULL)
    return fail (error);
  int cls = 0, from = 0;
  if (a.cls != NULL && !resolve_class (project, a.cls, &cls))
    return 1;
  RlShape shape = { (const double *) xy->data, (int) xy->len / 2,
                    a.polygon != NULL ? 0.0 : a.radius };
  guint changed = 0;
  gboolean ok;
  const char *what;
  if (is_wand)
    {
      ok = rl_project_wand (project, info->id, NULL, cls, ax, ay, a.tolerance, a.protect,
                            &changed, &error);
      what = "wand";
    }
  else if (is_sp)
    {
      ok = rl_project_superpixel_paint (project, info->id, NULL, a.size, cls, &shape, a.protect,
                                        &changed, &error);
      what = "superpixel brush";
    }
  else if (a.islands >= 0)
    {
      ok = rl_project_remove_islands (project, info->id, (guint) a.islands, &changed, &error);
      what = "islands removed";
    }
  else if (a.holes >= 0)
    {
      ok = rl_project_fill_holes (project, info->id, (guint) a.holes, &changed, &error);
      what = "holes filled";
    }
  else if (a.replace != NULL)
    {
      if (!resolve_class (project, a.replace, &from) || !resolve_class (project, a.by, &cls))
        return 1;
      ok = rl_project_replace_class (project, info->id, from, cls, &shape, &changed, &error);
      what = "class replaced";
    }
  else
    {
      ok = rl_project_accept_prediction_in (project, info->id, &shape, a.protect, &changed,
                                            &error);
      what = "prediction accepted";
    }
  if (!ok)
    return fail (error);
  printf ("%s: %s: %s: %u pixel%s changed\n", a.project, info->name, what, changed,
          changed == 1 ? "" : "s");
  return 0;
}

int rl_cmd_wand (int argc, char **argv) { return run ("wand", argc, argv); }
int rl_cmd_superpixel (int argc, char **argv) { return run ("superpixel", argc, argv); }
int rl_cmd_cleanup (int argc, char **argv) { return run ("cleanup", argc, argv); }
