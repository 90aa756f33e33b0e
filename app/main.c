/* relabel's entry point: a subcommand runs the command line, anything else starts the GUI.
 * Kept thin: each subcommand lives in its own cmd-*.c file. */
#include <stdio.h>
#include <string.h>

#include "relabel-cli.h"

typedef struct
{
  const char *name;
  int (*run) (int argc, char **argv);
  const char *usage;
} RlCommand;

static const RlCommand commands[] = {
  { "import", rl_cmd_import, "--project P --dataset camvid|sunrgbd|folder PATH" },
  { "predict", rl_cmd_predict, "--model M.safetensors --out DIR (IMAGE... | --list LISTFILE)" },
  { "eval", rl_cmd_eval,
    "--gt DIR --pred DIR (--classes K [--ignore I] | --dataset camvid|sunrgbd) [--json]" },
  { "train", rl_cmd_train,
    "--dataset camvid|sunrgbd|folder:PATH --out M.safetensors [--resume CKPT] ..." },
  { "study", rl_cmd_study,
    "--dataset camvid:PATH --archs A,B,... --budget SPEC --out DIR [--resume]" },
  { "finetune", rl_cmd_finetune, "--project P --model M.safetensors --out M2.safetensors ..." },
  { "paint", rl_cmd_paint,
    "--project P --image NAME --class C --radius R --stroke \"x,y x,y ...\"" },
  { "fill", rl_cmd_fill, "--project P --image NAME --class C --at X,Y" },
  { "wand", rl_cmd_wand, "--project P --image NAME --class C --at X,Y [--tolerance T]" },
  { "superpixel", rl_cmd_superpixel,
    "--project P --image NAME --class C --radius R --stroke \"x,y ...\" [--size S]" },
  { "cleanup", rl_cmd_cleanup,
    "--project P --image NAME (--islands N | --holes N |\n"
    "             --replace A --by B REGION | --accept-prediction REGION)\n"
    "             REGION: --stroke \"x,y ...\" --radius R | --polygon \"x,y ...\"" },
  { "undo", rl_cmd_undo, "--project P --image NAME" },
  { "redo", rl_cmd_redo, "--project P --image NAME" },
  { "export", rl_cmd_export, "--project P --format camvid|color --out DIR" },
  { "models", rl_cmd_models,
    "--project P [--json] [--add M.safetensors | --set-current VERSION]" },
  { "suspects", rl_cmd_suspects, "--project P [--model M] [--top K] [--json]" },
};

static void
print_help (FILE *out)
{
  fprintf (out,
           "Usage: relabel [PROJECT.relabel]         open the GUI (the demo project if none)\n"
           "       relabel COMMAND [OPTIONS]         run a command (no GUI)\n"
           "\n"
           "Correct semantic-segmentation datasets with SegNet in the loop.\n"
           "\n"
           "Commands:\n");
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    fprintf (out, "  %-10s %s\n", commands[i].name, commands[i].usage);
  fprintf (out,
           "\n"
           "Each command takes --help. Exit status: 0 success, 1 failure, 2 usage error.\n"
           "Options:\n"
           "  -h, --help     show this help\n"
           "  -V, --version  show the version\n");
}

int
main (int argc, char **argv)
{
  if (argc > 1)
    {
      const char *arg = argv[1];
      if (strcmp (arg, "--help") == 0 || strcmp (arg, "-h") == 0 || strcmp (arg, "help") == 0)
        {
          print_help (stdout);
          return 0;
        }
      if (strcmp (arg, "--version") == 0 || strcmp (arg, "-V") == 0)
        {
          printf ("relabel %s\n", RELABEL_VERSION);
          return 0;
        }
      for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp (arg, commands[i].name) == 0)
          return commands[i].run (argc - 1, argv + 1);
      if (arg[0] != '-' && strchr (arg, '.') == NULL && strchr (arg, '/') == NULL)
        {
          fprintf (stderr, "relabel: unknown command '%s' (see relabel --help)\n", arg);
          return 2;
        }
    }
  return rl_gui_main (argc, argv);
}
