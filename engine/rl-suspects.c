/* Suspected label errors in one image: confident disagreement between prediction and label,
 * reasoned about as labelled regions and connected components (see rl-suspects.h). */
#include "rl-suspects.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rl-metrics.h"

void
rl_suspect_stats_init (RlSuspectStats *s)
{
  memset (s, 0, sizeof *s);
}

static int
is_class (int v, int n_classes, int ignore_index)
{
  return v < n_classes && v != ignore_index;
}

void
rl_suspect_stats_add (RlSuspectStats *s, int n_classes, int ignore_index, const uint8_t *labels,
                      const uint8_t *conf_label, int64_t hw)
{
  uint64_t sum[256] = { 0 };
  int64_t count[256] = { 0 };
  for (int64_t i = 0; i < hw; i++)
    {
      sum[labels[i]] += conf_label[i];
      count[labels[i]]++;
    }
  for (int c = 0; c < n_classes && c < 256; c++)
    if (is_class (c, n_classes, ignore_index))
      {
        s->sum[c] += (double) sum[c] / 255.0;
        s->count[c] += count[c];
      }
}

void
rl_suspect_stats_merge (RlSuspectStats *dst, const RlSuspectStats *src)
{
  for (int c = 0; c < 256; c++)
    {
      dst->sum[c] += src->sum[c];
      dst->count[c] += src->count[c];
    }
}

void
rl_suspect_stats_thresholds (const RlSuspectStats *s, int n_classes, float *thresholds)
{
  for (int c = 0; c < n_classes; c++)
    thresholds[c] = s->count[c] > 0 ? (float) (s->sum[c] / (double) s->count[c]) : 0.5f;
}

/* ------------------------------------------------------------------------------------------ */

/* 8-connected components of the pixels with keep[i] != 0, joining neighbours of equal
 * value[i]. id (hw) gets 1 + component index, 0 where !keep; returns the count or -1 (no
 * memory). stack is hw int32 scratch. */
static int
components (const uint8_t *keep, const uint8_t *value, int h, int w, int32_t *id,
            int32_t *stack)
{
  size_t hw = (size_t) h * w;
  memset (id, 0, hw * sizeof *id);
  int n = 0;
  for (size_t s = 0; s < hw; s++)
    {
      if (!keep[s] || id[s] != 0)
        continue;
      n++;
      size_t top = 0;
      stack[top++] = (int32_t) s;
      id[s] = n;
      while (top > 0)
        {
          int32_t p = stack[--top];
          int py = p / w, px = p % w;
          for (int dy = -1; dy <= 1; dy++)
            for (int dx = -1; dx <= 1; dx++)
              {
                int qy = py + dy, qx = px + dx;
                if ((dx == 0 && dy == 0) || qy < 0 || qy >= h || qx < 0 || qx >= w)
                  continue;
                size_t q = (size_t) qy * w + qx;
                if (keep[q] && id[q] == 0 && value[q] == value[p])
                  {
                    id[q] = n;
                    stack[top++] = (int32_t) q;
                  }
              }
        }
    }
  return n;
}

/* band[i] = 1 where pixel i lies within Euclidean distance d of a label boundary pixel (a pixel
 * with a 4-neighbour of another value, void included). */
static void
boundary_band (const uint8_t *labels, int h, int w, double d, uint8_t *band)
{
  size_t hw = (size_t) h * w;
  memset (band, 0, hw);
  int R = (int) floor (d);
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      {
        uint8_t v = labels[(size_t) y * w + x];
        int edge = (x + 1 < w && labels[(size_t) y * w + x + 1] != v)
                   || (y + 1 < h && labels[(size_t) (y + 1) * w + x] != v)
                   || (x > 0 && labels[(size_t) y * w + x - 1] != v)
                   || (y > 0 && labels[(size_t) (y - 1) * w + x] != v);
        if (!edge)
          continue;
        for (int dy = -R; dy <= R; dy++)
          {
            int yy = y + dy;
            if (yy < 0 || yy >= h)
              continue;
            for (int dx = -R; dx <= R; dx++)
              {
                int xx = x + dx;
                if (xx >= 0 && xx < w && (double) (dx * dx + dy * dy) <= d * d)
                  band[(size_t) yy * w + xx] = 1;
              }
          }
      }
}

typedef struct
{
  int64_t n;               /* disagreeing pixels */
  int64_t confident;       /* of those, confidently */
  int64_t outside;         /* of those, outside the boundary band */
  double margin;           /* sum of (p_pred - p_label) */
  double sum_pred, sum_label;
  double isolated;         /* sum over its pixels of the isolation of their predicted object */
  int label;
  int region;              /* labelled region (1-based) it lies in */
  int x0, y0, x1, y1;
} Comp;

typedef struct
{
  int64_t size;
  int64_t disagreeing;     /* pixels of components inside it */
  int whole;               /* becomes one "region" suspect */
} LabelRegion;

typedef struct
{
  RlSuspect s;
  int32_t old;
} SortItem;

/* How likely a wrong label (rl-suspects.h): region-level evidence. */
static double
score_region (const RlSuspect *s)
{
  double margin = s->mean_conf_pred - s->mean_conf_label;
  if (margin <= 0 || s->differing == 0)
    return 0;
  return margin * margin * (double) s->pixels * ((double) s->disagreeing / (double) s->differing)
         * (1.0 - s->inside_band) * s->isolated;
}

void
rl_suspects_pair_add (double *totals, int n_classes, const RlSuspect *s, int n)
{
  for (int k = 0; k < n; k++)
    if (s[k].kind == RL_SUSPECT_REGION && s[k].labelled < n_classes
        && s[k].suggested < n_classes)
      totals[(size_t) s[k].labelled * n_classes + s[k].suggested] += (double) s[k].differing;
}

void
rl_suspects_pair_normalise (const double *totals, int n_classes, RlSuspect *s, int n)
{
  for (int k = 0; k < n; k++)
    if (s[k].labelled < n_classes && s[k].suggested < n_classes)
      {
        double t = totals[(size_t) s[k].labelled * n_classes + s[k].suggested];
        s[k].score /= t > 1 ? t : 1;
      }
}

/* Regions before boundary offsets, then by score; ties by position (deterministic). */
static int
by_score (const void *a, const void *b)
{
  const RlSuspect *x = &((const SortItem *) a)->s, *y = &((const SortItem *) b)->s;
  if (x->kind != y->kind)
    return x->kind < y->kind ? -1 : 1;
  if (x->score != y->score)
    return x->score > y->score ? -1 : 1;
  if (x->y != y->y)
    return x->y < y->y ? -1 : 1;
  return x->x < y->x ? -1 : x->x > y->x ? 1 : 0;
}

RlStatus
rl_suspects_find (const RlSuspectParams *params, const uint8_t *labels, const uint8_t *pred,
                  const uint8_t *conf_pred, const uint8_t *conf_label, int height, int width,
                  RlSuspect **out, int *n_out, int32_t *region_map, RlError *err)
{
  *out = NULL;
  *n_out = 0;
  if (params == NULL || params->n_classes < 1 || params->n_classes > 256
      || params->thresholds == NULL)
    return rl_error_set (err, RL_ERR_INVALID, "suspects: bad parameters");
  if (labels == NULL || pred == NULL || conf_pred == NULL || conf_label == NULL)
    return rl_error_set (err, RL_ERR_INVALID, "suspects: missing buffer");
  if (height < 1 || width < 1 || (int64_t) height * width > INT32_MAX / 2)
    return rl_error_set (err, RL_ERR_INVALID, "suspects: image size %dx%d is not supported",
                         width, height);
  const int K = params->n_classes, ignore = params->ignore_index;
  const size_t hw = (size_t) height * width;
  const double d = params->band > 0 ? params->band : rl_metrics_bf_tolerance (height, width);
  const int64_t min_px = params->min_pixels > 0 ? params->min_pixels
                         : (int64_t) fmax (16.0, (double) hw / 4000.0);
  uint8_t thr[256];
  for (int c = 0; c < K; c++)
    thr[c] = (uint8_t) lrint (255.0 * fmin (fmax (params->thresholds[c], 0.0f), 1.0f));

  RlStatus st = RL_OK;
  uint8_t *cand = malloc (hw), *band = malloc (hw), *is_lab = malloc (hw);
  int32_t *cid = malloc (hw * sizeof (int32_t)), *rid = malloc (hw * sizeof (int32_t));
  int32_t *stack = malloc (hw * sizeof (int32_t));
  Comp *comp = NULL;
  LabelRegion *reg = NULL;
  int64_t *votes = NULL;   /* (n_regions + n_comps, K) confidence-weighted predicted classes */
  RlSuspect *res = NULL;
  int32_t *comp_to_out = NULL, *reg_to_out = NULL;
  int32_t *pid = NULL;     /* (H, W) the model's object of each pixel */
  uint8_t *is_pred = NULL;
  float *isolation = NULL; /* per model object */
  int64_t *obj_size = NULL, *obj_agree = NULL;
  if (cand == NULL || band == NULL || is_lab == NULL || cid == NULL || rid == NULL
      || stack == NULL)
    goto nomem;

  /* cand: 1 where the model predicts another class, 2 where it does so confidently (above that
   * class's threshold, and the label's class below its own) */
  for (size_t i = 0; i < hw; i++)
    {
      int l = labels[i], p = pred[i];
      is_lab[i] = is_class (l, K, ignore);
      cand[i] = is_lab[i] && p != l && is_class (p, K, ignore);
      if (cand[i] && conf_pred[i] >= thr[p] && conf_label[i] < thr[l])
        cand[i] = 2;
    }
  int nc = components (cand, labels, height, width, cid, stack);
  int nr = components (is_lab, labels, height, width, rid, stack);
  if (nc < 0 || nr < 0)
    goto nomem;
  boundary_band (labels, height, width, d, band);

  /* The model's objects: 8-connected components of one predicted class. An object the model
   * sees where the label says something else is "isolated" when few of its pixels carry its
   * class in the labels (a wrongly labelled object), and not when it is mostly labelled its class
   * and only spills over a boundary (the model's own error). */
  pid = malloc (hw * sizeof (int32_t));
  is_pred = malloc (hw);
  if (pid == NULL || is_pred == NULL)
    goto nomem;
  for (size_t i = 0; i < hw; i++)
    is_pred[i] = is_class (pred[i], K, ignore) && is_lab[i];
  int np = components (is_pred, pred, height, width, pid, stack);
  obj_size = calloc ((size_t) np + 1, sizeof *obj_size);
  obj_agree = calloc ((size_t) np + 1, sizeof *obj_agree);
  isolation = malloc (((size_t) np + 1) * sizeof *isolation);
  if (np < 0 || obj_size == NULL || obj_agree == NULL || isolation == NULL)
    goto nomem;
  for (size_t i = 0; i < hw; i++)
    if (pid[i] != 0)
      {
        obj_size[pid[i]]++;
        obj_agree[pid[i]] += labels[i] == pred[i];
      }
  for (int k = 0; k <= np; k++)
    isolation[k] = obj_size[k] > 0 ? 1.0f - (float) obj_agree[k] / (float) obj_size[k] : 0.0f;

  comp = calloc ((size_t) nc + 1, sizeof *comp);
  reg = calloc ((size_t) nr + 1, sizeof *reg);
  votes = calloc (((size_t) nc + nr + 2) * K, sizeof *votes);
  comp_to_out = malloc (((size_t) nc + 1) * sizeof *comp_to_out);
  reg_to_out = malloc (((size_t) nr + 1) * sizeof *reg_to_out);
  if (comp == NULL || reg == NULL || votes == NULL || comp_to_out == NULL || reg_to_out == NULL)
    goto nomem;
  for (int k = 1; k <= nc; k++)
    {
      comp[k].x0 = width;
      comp[k].y0 = height;
      comp[k].x1 = comp[k].y1 = -1;
    }
  for (size_t i = 0; i < hw; i++)
    {
      if (rid[i] != 0)
        reg[rid[i]].size++;
      int k = cid[i];
      if (k == 0)
        continue;
      Comp *c = &comp[k];
      int x = (int) (i % width), y = (int) (i / width);
      c->n++;
      c->confident += cand[i] == 2;
      c->outside += !band[i];
      c->margin += (conf_pred[i] - conf_label[i]) / 255.0;
      c->sum_pred += conf_pred[i] / 255.0;
      c->sum_label += conf_label[i] / 255.0;
      c->isolated += isolation[pid[i]];
      c->label = labels[i];
      c->region = rid[i];
      c->x0 = x < c->x0 ? x : c->x0;
      c->y0 = y < c->y0 ? y : c->y0;
      c->x1 = x > c->x1 ? x : c->x1;
      c->y1 = y > c->y1 ? y : c->y1;
      votes[(size_t) k * K + pred[i]] += conf_pred[i];
      votes[((size_t) nc + 1 + rid[i]) * K + pred[i]] += conf_pred[i];
      reg[rid[i]].disagreeing += cand[i] == 2;
    }

  /* A labelled region mostly disagreeing with the model is suspected as a whole. */
  for (int r = 1; r <= nr; r++)
    reg[r].whole = reg[r].size >= min_px && 2 * reg[r].disagreeing >= reg[r].size;

  int n_res = 0, cap = 16;
  res = malloc ((size_t) cap * sizeof *res);
  if (res == NULL)
    goto nomem;
  for (int r = 0; r <= nr; r++)
    reg_to_out[r] = -1;
  for (int k = 0; k <= nc; k++)
    comp_to_out[k] = -1;

  /* Regions first (stats over their components), then the components left. */
  for (int pass = 0; pass < 2; pass++)
    for (int k = 1; k <= nc; k++)
      {
        Comp *c = &comp[k];
        int whole = reg[c->region].whole;
        if ((pass == 0) != (whole != 0))
          continue;
        /* too small, or nowhere past the per-class thresholds: the model is unsure there */
        if (!whole && (c->n < min_px || c->confident == 0))
          continue;
        int o = whole ? reg_to_out[c->region] : -1;
        if (o < 0)
          {
            if (n_res == cap)
              {
                cap *= 2;
                RlSuspect *grown = realloc (res, (size_t) cap * sizeof *res);
                if (grown == NULL)
                  goto nomem;
                res = grown;
              }
            o = n_res++;
            memset (&res[o], 0, sizeof res[o]);
            res[o].labelled = c->label;
            res[o].kind = RL_SUSPECT_REGION;
            res[o].x = width;
            res[o].y = height;
            res[o].w = res[o].h = -1;   /* x1, y1 until the end */
            if (whole)
              reg_to_out[c->region] = o;
          }
        comp_to_out[k] = o;
        RlSuspect *s = &res[o];
        s->disagreeing += c->confident;
        s->differing += c->n;
        s->inside_band += (double) (c->n - c->outside);   /* a count until the end */
        s->score += c->margin;
        s->mean_conf_pred += c->sum_pred;
        s->mean_conf_label += c->sum_label;
        s->isolated += c->isolated;
        if (!whole)
          {
            s->pixels = c->n;
            s->x = c->x0;
            s->y = c->y0;
            s->w = c->x1;
            s->h = c->y1;
          }
      }

  /* Suggested classes, and the whole regions' pixels and boxes. */
  for (int o = 0; o < n_res; o++)
    {
      double n = (double) res[o].differing;
      res[o].mean_conf_pred /= n;
      res[o].mean_conf_label /= n;
      res[o].inside_band /= n;
      res[o].isolated /= n;
    }
  for (int k = 1; k <= nc; k++)
    {
      int o = comp_to_out[k];
      if (o < 0)
        continue;
      const int64_t *v = reg[comp[k].region].whole
                           ? &votes[((size_t) nc + 1 + comp[k].region) * K]
                           : &votes[(size_t) k * K];
      int best = 0;
      for (int c = 1; c < K; c++)
        if (v[c] > v[best])
          best = c;
      res[o].suggested = best;
    }
  for (size_t i = 0; i < hw; i++)
    {
      int o = rid[i] != 0 ? reg_to_out[rid[i]] : -1;
      if (o < 0)
        continue;
      int x = (int) (i % width), y = (int) (i / width);
      RlSuspect *s = &res[o];
      s->pixels++;
      s->x = x < s->x ? x : s->x;
      s->y = y < s->y ? y : s->y;
      s->w = x > s->w ? x : s->w;
      s->h = y > s->h ? y : s->h;
    }
  for (int o = 0; o < n_res; o++)
    {
      res[o].w = res[o].w - res[o].x + 1;
      res[o].h = res[o].h - res[o].y + 1;
    }
  for (int r = 1; r <= nr; r++)
    if (reg_to_out[r] >= 0)
      res[reg_to_out[r]].kind = RL_SUSPECT_REGION + 2;   /* marks a whole region until below */
  for (int o = 0; o < n_res; o++)
    {
      RlSuspect *s = &res[o];
      int whole = s->kind == RL_SUSPECT_REGION + 2;
      s->kind = RL_SUSPECT_REGION;
      /* Disagreement (nearly) all within the tolerance band: a boundary offset. */
      if (!whole && s->inside_band > 0.9)
        s->kind = RL_SUSPECT_BOUNDARY;
      /* a labelled region the model mostly calls something else is its own evidence, whatever
       * the model's object around it */
      if (whole)
        s->isolated = 1.0;
      s->score = score_region (s);
    }

  /* Sort, then renumber the map by the sorted order. */
  {
    SortItem *items = malloc ((size_t) (n_res > 0 ? n_res : 1) * sizeof *items);
    if (items == NULL)
      goto nomem;
    for (int o = 0; o < n_res; o++)
      {
        items[o].s = res[o];
        items[o].old = o;
      }
    qsort (items, (size_t) n_res, sizeof *items, by_score);
    int32_t *rank = stack;   /* old index -> new index */
    for (int o = 0; o < n_res; o++)
      {
        res[o] = items[o].s;
        rank[items[o].old] = o;
      }
    free (items);
    if (region_map != NULL)
      for (size_t i = 0; i < hw; i++)
        {
          int o = -1;
          if (rid[i] != 0 && reg_to_out[rid[i]] >= 0)
            o = reg_to_out[rid[i]];
          else if (cid[i] != 0)
            o = comp_to_out[cid[i]];
          region_map[i] = o >= 0 ? rank[o] + 1 : 0;
        }
  }
  *out = res;
  *n_out = n_res;
  res = NULL;
  goto done;

nomem:
  st = rl_error_set (err, RL_ERR_NOMEM, "out of memory finding suspects in a %dx%d image",
                     width, height);
done:
  free (pid);
  free (is_pred);
  free (isolation);
  free (obj_size);
  free (obj_agree);
  free (cand);
  free (band);
  free (is_lab);
  free (cid);
  free (rid);
  free (stack);
  free (comp);
  free (reg);
  free (votes);
  free (comp_to_out);
  free (reg_to_out);
  free (res);
  return st;
}
