/* G, C, mIoU, boundary F1 and the confusion matrix of label maps (definitions in rl-metrics.h).
 * BF uses an exact Euclidean distance transform restricted to where it can matter. */
#include "rl-metrics.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Largest side accepted: pixels pack as row << 16 | col, and the tolerance (R <= 173 pixels)
 * stays below the uint8 distance grid's "far" value. */
#define RL_METRICS_MAX_SIDE 16384
#define RL_METRICS_MAX_PIXELS ((int64_t) 1 << 30)

/* Boundary pixels packed as row << 16 | col, in raster order (so also sorted). */
typedef struct
{
  uint32_t *idx;
  int64_t n;
  int64_t cap;
} RlPixList;

/* Scratch of one image evaluation, reused across images by an accumulator. */
typedef struct
{
  int n_classes;
  int16_t lut[256];       /* label value -> class index, or -1 for void */
  RlPixList *truth_b;     /* (K) boundary pixels of (truth == c) */
  RlPixList *pred_b;      /* (K) boundary pixels of (pred == c) */
  int oom;                /* set when a list could not grow */
  uint8_t *grid;          /* (query rows, region columns) vertical distances, > R: none */
  int64_t grid_cap;
  int32_t *rowmap;        /* image row -> grid row */
  int64_t rowmap_cap;
  int *env_v;             /* lower envelope: parabola apexes, their heights, boundaries */
  double *env_f;
  double *env_z;
  int64_t env_cap_v, env_cap_f, env_cap_z;
  uint8_t *far;           /* per-query "farther than d" flags (boundary error view) */
  int64_t far_cap;
  int64_t *conf;          /* (K, K) this image's confusion */
  int64_t *tcount;        /* (K) this image's t_i */
  double *f1;             /* (K) this image's F1 per class, NaN when not counted */
} RlWork;

struct RlMetrics
{
  int n_classes;
  int ignore_index;
  int64_t *conf;          /* (K, K) */
  int64_t *tcount;        /* (K) */
  int64_t n_images;
  int64_t cap_images;
  RlImageScores *images;  /* (n_images) */
  double *image_f1;       /* (n_images, K) */
  RlWork *work;
};

double
rl_metrics_bf_tolerance (int height, int width)
{
  return 0.0075 * sqrt ((double) height * height + (double) width * width);
}

/* ---- scratch ---- */

static void
work_free (RlWork *w)
{
  if (w == NULL)
    return;
  for (int c = 0; c < w->n_classes; c++)
    {
      if (w->truth_b)
        free (w->truth_b[c].idx);
      if (w->pred_b)
        free (w->pred_b[c].idx);
    }
  free (w->truth_b);
  free (w->pred_b);
  free (w->grid);
  free (w->rowmap);
  free (w->env_v);
  free (w->env_f);
  free (w->env_z);
  free (w->far);
  free (w->conf);
  free (w->tcount);
  free (w->f1);
  free (w);
}

static RlWork *
work_new (int n_classes, int ignore_index)
{
  RlWork *w = calloc (1, sizeof *w);
  if (w == NULL)
    return NULL;
  w->n_classes = n_classes;
  for (int v = 0; v < 256; v++)
    w->lut[v] = (v < n_classes && v != ignore_index) ? (int16_t) v : -1;
  w->truth_b = calloc (n_classes, sizeof *w->truth_b);
  w->pred_b = calloc (n_classes, sizeof *w->pred_b);
  w->conf = calloc ((size_t) n_classes * n_classes, sizeof *w->conf);
  w->tcount = calloc (n_classes, sizeof *w->tcount);
  w->f1 = calloc (n_classes, sizeof *w->f1);
  if (!w->truth_b || !w->pred_b || !w->conf || !w->tcount || !w->f1)
    {
      work_free (w);
      return NULL;
    }
  return w;
}

static int
grow (void **p, int64_t *cap, int64_t need, size_t elem)
{
  if (need <= *cap)
    return 1;
  int64_t n = *cap > 0 ? *cap : 64;
  while (n < need)
    n *= 2;
  void *q = realloc (*p, (size_t) n * elem);
  if (q == NULL)
    return 0;
  *p = q;
  *cap = n;
  return 1;
}

static inline void
push (RlWork *w, RlPixList *lists, uint8_t value, uint32_t idx)
{
  int c = w->lut[value];
  if (c < 0)
    return;
  RlPixList *l = &lists[c];
  if (l->n == l->cap && !grow ((void **) &l->idx, &l->cap, l->n + 1, sizeof *l->idx))
    {
      w->oom = 1;
      return;
    }
  l->idx[l->n++] = idx;
}

#define ROW(p) ((int) ((p) >> 16))
#define COL(p) ((int) ((p) & 0xffff))

static inline uint64_t
load8 (const uint8_t *p)
{
  uint64_t v;
  memcpy (&v, p, 8);
  return v;
}

/* Fills lists[c] with the boundary pixels of (M == c) for every class c, in raster order.
 * A pixel is on the boundary of exactly the classes present in its non-constant block. */
static void
collect_boundaries (RlWork *w, RlPixList *lists, const uint8_t *M, int H, int W)
{
  for (int c = 0; c < w->n_classes; c++)
    lists[c].n = 0;
  for (int i = 0; i < H - 1; i++)
    {
      const uint8_t *r0 = M + (size_t) i * W;
      const uint8_t *r1 = r0 + W;
      int j = 0;
      while (j < W - 1)
        {
          /* Eight constant blocks at once: columns j..j+8 equal in both rows. */
          if (j + 9 <= W)
            {
              uint64_t a = load8 (r0 + j);
              if (a == load8 (r0 + j + 1) && a == load8 (r1 + j) && a == load8 (r1 + j + 1))
                {
                  j += 8;
                  continue;
                }
            }
          uint8_t a = r0[j], b = r0[j + 1], c = r1[j], e = r1[j + 1];
          if (a != b || a != c || a != e)
            {
              uint32_t idx = (uint32_t) i << 16 | (uint32_t) j;
              push (w, lists, a, idx);
              if (b != a)
                push (w, lists, b, idx);
              if (c != a && c != b)
                push (w, lists, c, idx);
              if (e != a && e != b && e != c)
                push (w, lists, e, idx);
            }
          j++;
        }
      if (r0[W - 1] != r1[W - 1])
        {
          uint32_t idx = (uint32_t) i << 16 | (uint32_t) (W - 1);
          push (w, lists, r0[W - 1], idx);
          push (w, lists, r1[W - 1], idx);
        }
    }
  const uint8_t *r = M + (size_t) (H - 1) * W;
  for (int j = 0; j < W - 1; j++)
    if (r[j] != r[j + 1])
      {
        uint32_t idx = (uint32_t) (H - 1) << 16 | (uint32_t) j;
        push (w, lists, r[j], idx);
        push (w, lists, r[j + 1], idx);
      }
}

/* Counts the pixels of qry whose Euclidean distance to the nearest pixel of src is <= d, where
 * squared distance k is "<= d" iff k <= kmax and R = floor(d). With far != NULL, also sets
 * far[q] = 1 for a query farther than d, 0 otherwise. Returns -1 when out of memory.
 *
 * An exact Euclidean distance transform (Felzenszwalb-Huttenlocher), computed only where it can
 * decide something: a source more than R rows or columns away from a query is farther than d,
 * so vertical distances g are only needed on query rows and only up to R (larger is "far"):
 * each source writes |dr| into the query rows within R of it. Then, per query row, the lower
 * envelope of the parabolas (x - x')^2 + g(x')^2 over the columns within R of a query of that
 * row gives the exact squared distance at every query column. */
static int64_t
count_within (RlWork *w, const RlPixList *src, const RlPixList *qry, int R, int64_t kmax,
              uint8_t *far)
{
  if (far != NULL)
    memset (far, 1, (size_t) qry->n);
  if (src->n == 0 || qry->n == 0)
    return 0;

  /* Bounding boxes (lists are in raster order, so rows come from the ends). */
  int sr0 = ROW (src->idx[0]), sr1 = ROW (src->idx[src->n - 1]), sc0 = INT32_MAX, sc1 = -1;
  for (int64_t k = 0; k < src->n; k++)
    {
      int c = COL (src->idx[k]);
      sc0 = c < sc0 ? c : sc0;
      sc1 = c > sc1 ? c : sc1;
    }
  int qr0 = ROW (qry->idx[0]), qr1 = ROW (qry->idx[qry->n - 1]), qc0 = INT32_MAX, qc1 = -1;
  for (int64_t k = 0; k < qry->n; k++)
    {
      int c = COL (qry->idx[k]);
      qc0 = c < qc0 ? c : qc0;
      qc1 = c > qc1 ? c : qc1;
    }
  /* Query rows and columns that can be within d of a source; the columns of the grid. */
  int qlo = qr0 > sr0 - R ? qr0 : sr0 - R, qhi = qr1 < sr1 + R ? qr1 : sr1 + R;
  int qcl = qc0 > sc0 - R ? qc0 : sc0 - R, qch = qc1 < sc1 + R ? qc1 : sc1 + R;
  if (qlo > qhi || qcl > qch)
    return 0;
  int cc0 = qcl - R > sc0 ? qcl - R : sc0, cc1 = qch + R < sc1 ? qch + R : sc1;
  int rw = cc1 - cc0 + 1, span = qhi - qlo + 1;

  /* rowmap[r - qlo]: the grid row of query row r, or -1. */
  if (!grow ((void **) &w->rowmap, &w->rowmap_cap, span, sizeof *w->rowmap))
    return -1;
  int32_t *rowmap = w->rowmap;
  for (int r = 0; r < span; r++)
    rowmap[r] = -1;
  int nrows = 0;
  for (int64_t k = 0; k < qry->n; k++)
    {
      int r = ROW (qry->idx[k]) - qlo;
      if (r >= 0 && r < span && rowmap[r] < 0)
        rowmap[r] = nrows++;
    }
  if (nrows == 0 || rw <= 0)
    return 0;
  size_t cells = (size_t) nrows * rw;
  if (!grow ((void **) &w->grid, &w->grid_cap, (int64_t) cells, sizeof *w->grid)
      || !grow ((void **) &w->env_v, &w->env_cap_v, rw + 1, sizeof *w->env_v)
      || !grow ((void **) &w->env_f, &w->env_cap_f, rw + 1, sizeof *w->env_f)
      || !grow ((void **) &w->env_z, &w->env_cap_z, rw + 2, sizeof *w->env_z))
    return -1;

  /* Vertical distances on the query rows, capped: anything > R is "no source within d". */
  uint8_t *g = w->grid;
  memset (g, 0xff, cells);
  for (int64_t k = 0; k < src->n; k++)
    {
      int r = ROW (src->idx[k]), x = COL (src->idx[k]) - cc0;
      if (x < 0 || x >= rw)
        continue;
      int lo = r - R < qlo ? qlo : r - R, hi = r + R > qhi ? qhi : r + R;
      for (int rr = lo; rr <= hi; rr++)
        {
          int gi = rowmap[rr - qlo];
          if (gi < 0)
            continue;
          uint8_t dr = (uint8_t) (rr > r ? rr - r : r - rr);
          uint8_t *cell = g + (size_t) gi * rw + x;
          if (dr < *cell)
            *cell = dr;
        }
    }

  int *ev = w->env_v;
  double *ef = w->env_f, *ez = w->env_z;
  int64_t within = 0;
  int64_t k = 0;
  while (k < qry->n)
    {
      int row = ROW (qry->idx[k]);
      int64_t end = k;
      while (end < qry->n && ROW (qry->idx[end]) == row)
        end++;
      if (row < qlo || row > qhi)
        {
          k = end;
          continue;
        }
      const uint8_t *line = g + (size_t) rowmap[row - qlo] * rw;

      /* Lower envelope of the finite parabolas in the union of the windows [x - R, x + R]
       * of this row's queries (sources outside every window are farther than d). */
      int n = 0, next = cc0;
      for (int64_t q = k; q < end; q++)
        {
          int qx = COL (qry->idx[q]);
          int x0 = qx - R > next ? qx - R : next, x1 = qx + R < cc1 ? qx + R : cc1;
          for (int x = x0; x <= x1; x++)
            {
              unsigned gv = line[x - cc0];
              if (gv > (unsigned) R)
                continue;
              double fx = (double) gv * gv;
              if (n == 0)
                {
                  ev[0] = x;
                  ef[0] = fx;
                  ez[0] = -HUGE_VAL;
                  n = 1;
                  continue;
                }
              double s;
              for (;;)
                {
                  int v = ev[n - 1];
                  s = ((fx + (double) x * x) - (ef[n - 1] + (double) v * v)) / (2.0 * (x - v));
                  if (s > ez[n - 1])
                    break;
                  n--;
                }
              ev[n] = x;
              ef[n] = fx;
              ez[n] = s;
              n++;
            }
          next = x1 + 1 > next ? x1 + 1 : next;
        }
      if (n > 0)
        {
          ez[n] = HUGE_VAL;
          int e = 0;
          for (int64_t q = k; q < end; q++)
            {
              int x = COL (qry->idx[q]);
              if (x < qcl || x > qch)
                continue;
              while (ez[e + 1] < x)
                e++;
              double dx = x - ev[e];
              double d2 = dx * dx + ef[e];
              if (d2 <= (double) kmax)
                {
                  within++;
                  if (far != NULL)
                    far[q] = 0;
                }
            }
        }
      k = end;
    }
  return within;
}

static int
check_args (int n_classes, const uint8_t *truth, const uint8_t *pred, int height, int width,
            RlError *err)
{
  if (n_classes < 1 || n_classes > 256)
    return rl_error_set (err, RL_ERR_INVALID, "number of classes %d is not in 1..256",
                         n_classes);
  if (truth == NULL || pred == NULL)
    return rl_error_set (err, RL_ERR_INVALID, "missing label buffer");
  if (height < 1 || width < 1 || height > RL_METRICS_MAX_SIDE || width > RL_METRICS_MAX_SIDE
      || (int64_t) height * width > RL_METRICS_MAX_PIXELS)
    return rl_error_set (err, RL_ERR_INVALID, "label size %dx%d is not supported", width,
                         height);
  return RL_OK;
}

/* Boundary distance parameters of an H x W image. */
static void
tolerance (int height, int width, int *R, int64_t *kmax)
{
  double d = rl_metrics_bf_tolerance (height, width);
  int64_t k = (int64_t) floor (d * d);
  while (sqrt ((double) (k + 1)) <= d)
    k++;
  while (k >= 0 && sqrt ((double) k) > d)
    k--;
  *kmax = k;
  *R = (int) floor (d);
}

/* Scores from a confusion matrix (K, K) and truth counts (K). */
static void
scores_from_confusion (int K, const int64_t *conf, const int64_t *tcount, double *g,
                       double *c, double *miou, int64_t *pixels)
{
  int64_t diag = 0, total = 0;
  double acc_sum = 0, iou_sum = 0;
  int acc_n = 0, iou_n = 0;
  for (int i = 0; i < K; i++)
    {
      int64_t nii = conf[(size_t) i * K + i];
      int64_t col = 0;
      for (int j = 0; j < K; j++)
        col += conf[(size_t) j * K + i];
      diag += nii;
      total += tcount[i];
      if (tcount[i] > 0)
        {
          acc_sum += (double) nii / (double) tcount[i];
          acc_n++;
        }
      int64_t uni = tcount[i] + col - nii;
      if (uni > 0)
        {
          iou_sum += (double) nii / (double) uni;
          iou_n++;
        }
    }
  *g = total > 0 ? (double) diag / (double) total : NAN;
  *c = acc_n > 0 ? acc_sum / acc_n : NAN;
  *miou = iou_n > 0 ? iou_sum / iou_n : NAN;
  if (pixels)
    *pixels = total;
}

/* Evaluates one image into w->conf, w->tcount, w->f1 and out. */
static RlStatus
work_eval (RlWork *w, const uint8_t *truth, const uint8_t *pred, int H, int W,
           RlImageScores *out, RlError *err)
{
  int K = w->n_classes;
  size_t n = (size_t) H * W;
  memset (w->conf, 0, (size_t) K * K * sizeof *w->conf);
  memset (w->tcount, 0, (size_t) K * sizeof *w->tcount);
  for (size_t p = 0; p < n; p++)
    {
      int t = w->lut[truth[p]];
      if (t < 0)
        continue;
      w->tcount[t]++;
      int q = w->lut[pred[p]];
      if (q >= 0)
        w->conf[(size_t) t * K + q]++;
    }
  scores_from_confusion (K, w->conf, w->tcount, &out->global_accuracy, &out->class_accuracy,
                         &out->miou, &out->pixels);

  w->oom = 0;
  collect_boundaries (w, w->truth_b, truth, H, W);
  collect_boundaries (w, w->pred_b, pred, H, W);
  if (w->oom)
    return rl_error_set (err, RL_ERR_NOMEM, "out of memory for boundary maps");

  int R;
  int64_t kmax;
  tolerance (H, W, &R, &kmax);
  double f1_sum = 0;
  int counted = 0;
  for (int c = 0; c < K; c++)
    {
      const RlPixList *bt = &w->truth_b[c], *bp = &w->pred_b[c];
      w->f1[c] = NAN;
      if (bt->n == 0 && bp->n == 0)
        continue;
      double f1 = 0;
      if (bt->n > 0 && bp->n > 0)
        {
          int64_t mp = count_within (w, bt, bp, R, kmax, NULL);
          int64_t mt = count_within (w, bp, bt, R, kmax, NULL);
          if (mp < 0 || mt < 0)
            return rl_error_set (err, RL_ERR_NOMEM, "out of memory for distance transform");
          double prec = (double) mp / (double) bp->n;
          double rec = (double) mt / (double) bt->n;
          f1 = prec + rec > 0 ? 2.0 * prec * rec / (prec + rec) : 0.0;
        }
      w->f1[c] = f1;
      f1_sum += f1;
      counted++;
    }
  out->bf = counted > 0 ? f1_sum / counted : 0.0;
  out->bf_classes = counted;
  return RL_OK;
}

/* ---- accumulator ---- */

RlMetrics *
rl_metrics_new (int n_classes, int ignore_index)
{
  if (n_classes < 1 || n_classes > 256)
    return NULL;
  RlMetrics *m = calloc (1, sizeof *m);
  if (m == NULL)
    return NULL;
  m->n_classes = n_classes;
  m->ignore_index = ignore_index;
  m->conf = calloc ((size_t) n_classes * n_classes, sizeof *m->conf);
  m->tcount = calloc (n_classes, sizeof *m->tcount);
  m->work = work_new (n_classes, ignore_index);
  if (m->conf == NULL || m->tcount == NULL || m->work == NULL)
    {
      rl_metrics_free (m);
      return NULL;
    }
  return m;
}

void
rl_metrics_free (RlMetrics *m)
{
  if (m == NULL)
    return;
  free (m->conf);
  free (m->tcount);
  free (m->images);
  free (m->image_f1);
  work_free (m->work);
  free (m);
}

static int
reserve_images (RlMetrics *m, int64_t need)
{
  if (need <= m->cap_images)
    return 1;
  int64_t cap = m->cap_images > 0 ? m->cap_images : 16;
  while (cap < need)
    cap *= 2;
  RlImageScores *im = realloc (m->images, (size_t) cap * sizeof *im);
  if (im == NULL)
    return 0;
  m->images = im;
  double *f = realloc (m->image_f1, (size_t) cap * m->n_classes * sizeof *f);
  if (f == NULL)
    return 0;
  m->image_f1 = f;
  m->cap_images = cap;
  return 1;
}

RlStatus
rl_metrics_add_image (RlMetrics *m, const uint8_t *truth, const uint8_t *pred, int height,
                      int width, RlError *err)
{
  if (m == NULL)
    return rl_error_set (err, RL_ERR_INVALID, "no metrics accumulator");
  RlStatus st = check_args (m->n_classes, truth, pred, height, width, err);
  if (st != RL_OK)
    return st;
  if (!reserve_images (m, m->n_images + 1))
    return rl_error_set (err, RL_ERR_NOMEM, "out of memory for per-image results");
  RlImageScores s;
  st = work_eval (m->work, truth, pred, height, width, &s, err);
  if (st != RL_OK)
    return st;
  int K = m->n_classes;
  for (size_t k = 0; k < (size_t) K * K; k++)
    m->conf[k] += m->work->conf[k];
  for (int c = 0; c < K; c++)
    m->tcount[c] += m->work->tcount[c];
  m->images[m->n_images] = s;
  memcpy (m->image_f1 + (size_t) m->n_images * K, m->work->f1, (size_t) K * sizeof (double));
  m->n_images++;
  return RL_OK;
}

RlStatus
rl_metrics_merge (RlMetrics *dst, const RlMetrics *src, RlError *err)
{
  if (dst == NULL || src == NULL)
    return rl_error_set (err, RL_ERR_INVALID, "no metrics accumulator");
  if (dst->n_classes != src->n_classes || dst->ignore_index != src->ignore_index)
    return rl_error_set (err, RL_ERR_INVALID,
                         "cannot merge metrics of %d classes (ignore %d) into %d (ignore %d)",
                         src->n_classes, src->ignore_index, dst->n_classes,
                         dst->ignore_index);
  if (!reserve_images (dst, dst->n_images + src->n_images))
    return rl_error_set (err, RL_ERR_NOMEM, "out of memory for per-image results");
  int K = dst->n_classes;
  for (size_t k = 0; k < (size_t) K * K; k++)
    dst->conf[k] += src->conf[k];
  for (int c = 0; c < K; c++)
    dst->tcount[c] += src->tcount[c];
  if (src->n_images > 0)
    {
      memcpy (dst->images + dst->n_images, src->images,
              (size_t) src->n_images * sizeof *src->images);
      memcpy (dst->image_f1 + (size_t) dst->n_images * K, src->image_f1,
              (size_t) src->n_images * K * sizeof (double));
    }
  dst->n_images += src->n_images;
  return RL_OK;
}

int
rl_metrics_n_classes (const RlMetrics *m)
{
  return m->n_classes;
}

int
rl_metrics_ignore_index (const RlMetrics *m)
{
  return m->ignore_index;
}

int64_t
rl_metrics_n_images (const RlMetrics *m)
{
  return m->n_images;
}

double
rl_metrics_global_accuracy (const RlMetrics *m)
{
  double g, c, miou;
  scores_from_confusion (m->n_classes, m->conf, m->tcount, &g, &c, &miou, NULL);
  return g;
}

double
rl_metrics_class_accuracy (const RlMetrics *m)
{
  double g, c, miou;
  scores_from_confusion (m->n_classes, m->conf, m->tcount, &g, &c, &miou, NULL);
  return c;
}

double
rl_metrics_miou (const RlMetrics *m)
{
  double g, c, miou;
  scores_from_confusion (m->n_classes, m->conf, m->tcount, &g, &c, &miou, NULL);
  return miou;
}

double
rl_metrics_bf (const RlMetrics *m)
{
  if (m->n_images == 0)
    return NAN;
  double sum = 0;
  for (int64_t i = 0; i < m->n_images; i++)
    sum += m->images[i].bf;
  return sum / (double) m->n_images;
}

void
rl_metrics_class (const RlMetrics *m, int class_index, RlClassScores *out)
{
  int K = m->n_classes;
  memset (out, 0, sizeof *out);
  out->accuracy = out->iou = out->bf = NAN;
  if (class_index < 0 || class_index >= K)
    return;
  int c = class_index;
  int64_t ncc = m->conf[(size_t) c * K + c], col = 0;
  for (int j = 0; j < K; j++)
    col += m->conf[(size_t) j * K + c];
  out->pixels = m->tcount[c];
  out->predicted = col;
  if (m->tcount[c] > 0)
    out->accuracy = (double) ncc / (double) m->tcount[c];
  int64_t uni = m->tcount[c] + col - ncc;
  if (uni > 0)
    out->iou = (double) ncc / (double) uni;
  double sum = 0;
  int64_t n = 0;
  for (int64_t i = 0; i < m->n_images; i++)
    {
      double f = m->image_f1[(size_t) i * K + c];
      if (!isnan (f))
        {
          sum += f;
          n++;
        }
    }
  out->bf_images = n;
  if (n > 0)
    out->bf = sum / (double) n;
}

const int64_t *
rl_metrics_confusion (const RlMetrics *m)
{
  return m->conf;
}

void
rl_metrics_image_scores (const RlMetrics *m, int64_t image, RlImageScores *out)
{
  if (image < 0 || image >= m->n_images)
    {
      memset (out, 0, sizeof *out);
      out->global_accuracy = out->class_accuracy = out->miou = out->bf = NAN;
      return;
    }
  *out = m->images[image];
}

double
rl_metrics_image_class_bf (const RlMetrics *m, int64_t image, int class_index)
{
  if (image < 0 || image >= m->n_images || class_index < 0 || class_index >= m->n_classes)
    return NAN;
  return m->image_f1[(size_t) image * m->n_classes + class_index];
}

/* ---- one image alone ---- */

RlStatus
rl_metrics_image (int n_classes, int ignore_index, const uint8_t *truth, const uint8_t *pred,
                  int height, int width, RlImageScores *out, RlError *err)
{
  RlStatus st = check_args (n_classes, truth, pred, height, width, err);
  if (st != RL_OK)
    return st;
  if (out == NULL)
    return rl_error_set (err, RL_ERR_INVALID, "missing output");
  RlWork *w = work_new (n_classes, ignore_index);
  if (w == NULL)
    return rl_error_set (err, RL_ERR_NOMEM, "out of memory for metrics");
  st = work_eval (w, truth, pred, height, width, out, err);
  work_free (w);
  return st;
}

RlStatus
rl_metrics_boundary_errors (int n_classes, int ignore_index, const uint8_t *truth,
                            const uint8_t *pred, int height, int width, uint8_t *out,
                            RlError *err)
{
  RlStatus st = check_args (n_classes, truth, pred, height, width, err);
  if (st != RL_OK)
    return st;
  if (out == NULL)
    return rl_error_set (err, RL_ERR_INVALID, "missing output");
  RlWork *w = work_new (n_classes, ignore_index);
  if (w == NULL)
    return rl_error_set (err, RL_ERR_NOMEM, "out of memory for metrics");
  collect_boundaries (w, w->truth_b, truth, height, width);
  collect_boundaries (w, w->pred_b, pred, height, width);
  if (w->oom)
    {
      work_free (w);
      return rl_error_set (err, RL_ERR_NOMEM, "out of memory for boundary maps");
    }
  memset (out, 0, (size_t) height * width);
  int R;
  int64_t kmax;
  tolerance (height, width, &R, &kmax);
  st = RL_OK;
  for (int c = 0; c < n_classes && st == RL_OK; c++)
    {
      const RlPixList *bt = &w->truth_b[c], *bp = &w->pred_b[c];
      int64_t most = bt->n > bp->n ? bt->n : bp->n;
      if (!grow ((void **) &w->far, &w->far_cap, most, 1))
        {
          st = rl_error_set (err, RL_ERR_NOMEM, "out of memory for boundary errors");
          break;
        }
      if (count_within (w, bt, bp, R, kmax, w->far) < 0)
        st = rl_error_set (err, RL_ERR_NOMEM, "out of memory for distance transform");
      for (int64_t q = 0; q < bp->n && st == RL_OK; q++)
        {
          uint8_t *px = out + (size_t) ROW (bp->idx[q]) * width + COL (bp->idx[q]);
          if (w->far[q] && *px == 0)
            *px = 2;
        }
      if (st == RL_OK && count_within (w, bp, bt, R, kmax, w->far) < 0)
        st = rl_error_set (err, RL_ERR_NOMEM, "out of memory for distance transform");
      for (int64_t q = 0; q < bt->n && st == RL_OK; q++)
        if (w->far[q])
          out[(size_t) ROW (bt->idx[q]) * width + COL (bt->idx[q])] = 1;
    }
  work_free (w);
  return st;
}
