/* The command-line subcommands of `relabel`, one file each (cmd-*.c).
 * Each takes argv after the subcommand name (argv[0] is the subcommand) and returns the exit
 * status: 0 success, 1 run-time failure (one line on stderr naming the file and cause), 2 usage. */
#pragma once

int rl_cmd_import (int argc, char **argv);
int rl_cmd_predict (int argc, char **argv);
int rl_cmd_eval (int argc, char **argv);
int rl_cmd_train (int argc, char **argv);
int rl_cmd_study (int argc, char **argv);
int rl_cmd_finetune (int argc, char **argv);
int rl_cmd_paint (int argc, char **argv);
int rl_cmd_fill (int argc, char **argv);
int rl_cmd_undo (int argc, char **argv);
int rl_cmd_redo (int argc, char **argv);
int rl_cmd_wand (int argc, char **argv);
int rl_cmd_superpixel (int argc, char **argv);
int rl_cmd_cleanup (int argc, char **argv);
int rl_cmd_export (int argc, char **argv);
int rl_cmd_models (int argc, char **argv);
int rl_cmd_suspects (int argc, char **argv);

/* Starts the GTK application (relabel-application.c); argv as given to main. */
int rl_gui_main (int argc, char **argv);
