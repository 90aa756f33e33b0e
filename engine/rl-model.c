/* Inference on a loaded, read-only SegNet: batch norm folded into the convs at load time. On the
 * oneDNN paths a whole-network plan (rl-dnnl-net.h) runs the image; built plans are kept for the
 * next image of the same size. Several threads may predict with one model at once: each call
 * takes a plan (or a workspace) of its own. */
#include "rl-model.h"
#include "rl-mem.h"

#include <cblas.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rl-layers.h"
#include "rl-net.h"
#ifdef RL_HAVE_DNNL_CONV
#include "rl-dnnl-net.h"
#endif

/* Idle plans kept for reuse: one per concurrent job is enough (inference + retrain at once). */
#define IDLE_PLANS 2

struct RlModel
{
  RlNet net;
  RlNetMeta meta;
  float *params;   /* as in the file */
  float *folded;   /* same layout; conv weight/bias slots hold the BN-folded values */
  RlEnginePath path;  /* what RL_ENGINE_PATH_DEFAULT calls run on (rl_model_set_engine_path) */
#ifdef RL_HAVE_DNNL_CONV
  pthread_mutex_t lock;               /* guards idle */
  RlDnnlPlan *idle[IDLE_PLANS];
  int refused[2];                     /* per RlPrecision: a plan was refused on this CPU */
#endif
};

static RlStatus
model_fold (RlModel *m, RlError *err)
{
  const RlNet *net = &m->net;
  m->folded = rl_mem_alloc (net->total * sizeof (float), 64);
  if (m->folded == NULL)
    return rl_error_set (err, RL_ERR_NOMEM, "out of memory");
  memcpy (m->folded, m->params, net->total * sizeof (float));
  for (int j = 0; j < net->n_convs; j++)
    {
      const RlConvSpec *c = &net->conv[j];
      if (!c->bn)   /* (transposed convs, whose weights are (C_in, C_out, ..), have none) */
        continue;
      size_t ow = net->param[c->p_w].offset, ob = net->param[c->p_b].offset;
      rl_batchnorm_fold (c->c_out, c->c_in / c->groups * c->k * c->k, m->params + ow, m->params + ob,
                         m->params + net->param[c->p_gamma].offset,
                         m->params + net->param[c->p_beta].offset,
                         m->params + net->param[c->p_mean].offset,
                         m->params + net->param[c->p_var].offset, m->meta.bn_eps,
                         m->folded + ow, m->folded + ob);
    }
  return RL_OK;
}

RlStatus
rl_model_load (const char *path, RlModel **out, RlError *err)
{
  *out = NULL;
  RlModel *m = calloc (1, sizeof *m);
  if (m == NULL)
    return rl_error_set (err, RL_ERR_NOMEM, "out of memory");
  m->path = RL_ENGINE_PATH_DEFAULT;
#ifdef RL_HAVE_DNNL_CONV
  pthread_mutex_init (&m->lock, NULL);
#endif
  RlStatus st = rl_net_load (path, &m->net, &m->meta, &m->params, err);
  if (st == RL_OK)
    st = model_fold (m, err);
  if (st != RL_OK)
    {
      rl_model_free (m);
      return st;
    }
  *out = m;
  return RL_OK;
}

void
rl_model_free (RlModel *model)
{
  if (model == NULL)
    return;
#ifdef RL_HAVE_DNNL_CONV
  rl_model_release_cache (model);
  pthread_mutex_destroy (&model->lock);
#endif
  rl_net_meta_clear (&model->meta);
  rl_mem_free (model->params);
  rl_mem_free (model->folded);
  free (model);
}

int
rl_model_num_classes (const RlModel *model)
{
  return model->net.num_classes;
}

const char *
rl_model_class_name (const RlModel *model, int i)
{
  if (i < 0 || i >= model->net.num_classes)
    return NULL;
  return model->meta.class_names[i];
}

int
rl_model_ignore_index (const RlModel *model)
{
  return model->meta.ignore_index;
}

const char *
rl_model_arch (const RlModel *model)
{
  return model->net.arch;
}

int
rl_model_whole_plan (const RlModel *model)
{
  return rl_net_is_plain (&model->net);
}

const float *
rl_model_input_mean (const RlModel *model)
{
  return model->meta.mean;
}

const float *
rl_model_input_std (const RlModel *model)
{
  return model->meta.std;
}

int
rl_model_input_norm (const RlModel *model)
{
  return model->meta.input_norm;
}

const char *
rl_model_trained_on (const RlModel *model)
{
  return model->meta.trained_on;
}

void
rl_model_normalize_input (const RlModel *model, const uint8_t *rgb, int h, int w, float *x)
{
  rl_net_normalize_input (&model->meta, rgb, h, w, x);
}

void
rl_model_release_cache (const RlModel *model)
{
#ifdef RL_HAVE_DNNL_CONV
  RlModel *m = (RlModel *) model;  /* the cache is not part of the model's value */
  if (m == NULL)
    return;
  pthread_mutex_lock (&m->lock);
  for (int i = 0; i < IDLE_PLANS; i++)
    {
      rl_dnnl_plan_free (m->idle[i]);
      m->idle[i] = NULL;
    }
  pthread_mutex_unlock (&m->lock);
#else
  (void) model;
#endif
}

#ifdef RL_HAVE_DNNL_CONV
/* The whole network as one oneDNN plan: an idle one of the right size if there is one, else a new
 * one; afterwards it goes back to the idle list (replacing the oldest). */
static RlStatus
plan_forward (const RlModel *model, RlPrecision prec, const float *x, int height, int width,
              float *logits, int n_threads, RlAbortFunc abort, void *abort_data, RlError *err)
{
  RlModel *m = (RlModel *) model;
  RlDnnlPlan *plan = NULL, *drop = NULL;
  RlStatus st;

  pthread_mutex_lock (&m->lock);
  for (int i = 0; i < IDLE_PLANS && plan == NULL; i++)
    if (rl_dnnl_plan_matches (m->idle[i], height, width, prec, n_threads))
      {
        plan = m->idle[i];
        m->idle[i] = NULL;
      }
  pthread_mutex_unlock (&m->lock);
  if (plan == NULL)
    {
      st = rl_dnnl_plan_new (&m->net, m->folded, height, width, prec, n_threads, &plan, err);
      if (st != RL_OK)
        return st;
    }
  st = rl_dnnl_plan_run (plan, x, logits, abort, abort_data, err);
  pthread_mutex_lock (&m->lock);
  drop = m->idle[IDLE_PLANS - 1];
  for (int i = IDLE_PLANS - 1; i > 0; i--)
    m->idle[i] = m->idle[i - 1];
  m->idle[0] = plan;
  pthread_mutex_unlock (&m->lock);
  rl_dnnl_plan_free (drop);
  return st;
}
#endif

static RlStatus
model_forward (const RlModel *model, RlEnginePath path, const float *x, int height, int width,
               float *logits, int n_threads, RlAbortFunc abort, void *abort_data,
               int32_t **pool_indices, RlError *err)
{
  const RlNet *net = &model->net;
  int oc[RL_NET_MAX_OPS], oh[RL_NET_MAX_OPS], ow[RL_NET_MAX_OPS];
  int pre_h[RL_NET_MAX_STAGES], pre_w[RL_NET_MAX_STAGES];
  RlStatus st = rl_net_plan (net, height, width, oc, oh, ow, pre_h, pre_w, err);
  if (st != RL_OK)
    return st;
  /* An image whose activations cannot fit in this machine's memory is refused up front: with
   * overcommit the allocations would succeed and the process be killed while touching them. */
  size_t need = 0;
  for (int i = 0; i < net->n_ops; i++)
    {
      size_t sz = (size_t) (oc[i] + 15) / 16 * 16 * oh[i] * ow[i] * sizeof (float);
      need = sz > need ? sz : need;
    }
  need = 2 * need + (size_t) (3 + net->num_classes) * height * width * sizeof (float);
  long pages = sysconf (_SC_PHYS_PAGES), page = sysconf (_SC_PAGESIZE);
  if (pages > 0 && page > 0 && need / (size_t) page > (size_t) pages)
    return rl_error_set (err, RL_ERR_NOMEM, "%dx%d image: its activations need %zu MB, "
                         "more than this machine's %zu MB of memory", width, height,
                         need >> 20, ((size_t) pages * (size_t) page) >> 20);
  if (path == RL_ENGINE_PATH_DEFAULT)
    path = model->path;
  int automatic = path == RL_ENGINE_PATH_DEFAULT;
  if (automatic)
    path = rl_engine_path_default ();
  /* A decoder variant's automatic path is fp32: bf16 layer by layer is not validated for them
   * (an untrained single-channel decoder's logits moved by 20 % through unpooling positions that
   * bf16 rounding changed; the plan keeps pool inputs in f32 for that reason). */
  if (automatic && path == RL_ENGINE_PATH_BF16 && !rl_net_is_plain (net))
    path = RL_ENGINE_PATH_FP32;
#ifdef RL_HAVE_DNNL_CONV
  /* Automatic choice: a plan refused on this CPU (it would run on oneDNN's reference kernels)
   * is remembered, and the next path down is tried: bf16, fp32, then the reference. */
  RlModel *mm = (RlModel *) model;
  /* The whole-network plans cover plain nets (segnet-basic, segnet); a decoder variant runs
   * layer by layer below on the same path (its standard convolutions on oneDNN). */
  while (pool_indices == NULL && path != RL_ENGINE_PATH_REFERENCE && rl_net_is_plain (net))
    {
      RlPrecision prec = path == RL_ENGINE_PATH_BF16 ? RL_PRECISION_BF16 : RL_PRECISION_FP32;
      int refused;
      pthread_mutex_lock (&mm->lock);
      refused = mm->refused[prec];
      pthread_mutex_unlock (&mm->lock);
      if (!refused || !automatic)
        {
          st = plan_forward (model, prec, x, height, width, logits, n_threads, abort,
                             abort_data, err);
          if (st != RL_ERR_UNSUPPORTED || !automatic)
            return st;
          pthread_mutex_lock (&mm->lock);
          mm->refused[prec] = 1;
          pthread_mutex_unlock (&mm->lock);
        }
      path = path == RL_ENGINE_PATH_BF16 ? RL_ENGINE_PATH_FP32 : RL_ENGINE_PATH_REFERENCE;
      st = RL_OK;
    }
#endif
  rl_engine_set_blas_threads (n_threads);

  /* Two ping-pong buffers of the largest activation, plus the pooling indices. */
  size_t biggest = 0, idx_total = 0;
  size_t idx_off[RL_NET_MAX_STAGES] = { 0 };
  for (int i = 0; i < net->n_ops; i++)
    {
      size_t sz = (size_t) oc[i] * oh[i] * ow[i];
      biggest = sz > biggest ? sz : biggest;
      if (net->op[i].kind == RL_OP_POOL)
        {
          idx_off[net->op[i].index] = idx_total;
          idx_total += sz;
          if (pool_indices != NULL)
            pool_indices[net->op[i].index] = NULL;
        }
    }
  float *buf[2] = { rl_mem_alloc (biggest * sizeof (float), 64),
                    rl_mem_alloc (biggest * sizeof (float), 64) };
  int32_t *idx = rl_mem_alloc ((idx_total + 1) * sizeof (int32_t), 64);
  /* Outputs a later op reads again (a branch's source, an added map) keep a buffer of their own
   * (decoder variants only). */
  float *kept[RL_NET_MAX_OPS] = { NULL };
  int nomem = 0;
  for (int i = 0; i < net->n_ops; i++)
    {
      const RlOp *op = &net->op[i];
      int j = op->kind == RL_OP_ADD ? op->skip : op->src != i - 1 ? op->src : -1;
      if (j >= 0 && kept[j] == NULL)
        nomem |= (kept[j] = rl_mem_alloc ((size_t) oc[j] * oh[j] * ow[j] * sizeof (float), 64))
                 == NULL;
    }
  RlWorkspace *ws = NULL;
  if (buf[0] == NULL || buf[1] == NULL || idx == NULL || nomem)
    st = rl_error_set (err, RL_ERR_NOMEM, "out of memory for a %dx%d image", width, height);
  if (st == RL_OK)
    st = rl_workspace_new (path, &ws, err);
  const float *cur = x;
  int c = 3, h = height, w = width;
  for (int i = 0; st == RL_OK && i < net->n_ops; i++)
    {
      if (abort != NULL && abort (abort_data))
        {
          st = rl_error_set (err, RL_ERR_CANCELLED, "cancelled");
          break;
        }
      const RlOp *op = &net->op[i];
      if (op->src != i - 1)   /* a branch: its input is a kept output (or the image) */
        {
          cur = op->src < 0 ? x : kept[op->src];
          c = op->src < 0 ? 3 : oc[op->src];
          h = op->src < 0 ? height : oh[op->src];
          w = op->src < 0 ? width : ow[op->src];
        }
      float *dst = i == net->n_ops - 1 ? logits : kept[i] != NULL ? kept[i]
                   : cur == buf[0] ? buf[1] : buf[0];
      if (op->kind == RL_OP_CONV)
        {
          const RlConvSpec *cv = &net->conv[op->index];
          RlConvShape s = { 1, c, h, w, cv->c_out, cv->k, cv->pad };
          st = rl_conv2d_forward (ws, &s, cur,
                                  model->folded + net->param[cv->p_w].offset,
                                  model->folded + net->param[cv->p_b].offset, dst, cv->relu, err);
        }
      else if (op->kind == RL_OP_POOL)
        {
          rl_maxpool_forward (1, c, h, w, cur, dst, idx + idx_off[op->index]);
          if (pool_indices != NULL)
            {
              size_t sz = (size_t) oc[i] * oh[i] * ow[i] * sizeof (int32_t);
              pool_indices[op->index] = malloc (sz);
              if (pool_indices[op->index] == NULL)
                st = rl_error_set (err, RL_ERR_NOMEM, "out of memory");
              else
                memcpy (pool_indices[op->index], idx + idx_off[op->index], sz);
            }
        }
      else if (op->kind == RL_OP_UNPOOL)
        {
          int s = op->index;
          rl_maxunpool_forward (1, c, h, w, pre_h[s], pre_w[s], cur, idx + idx_off[s], dst);
        }
      else if (op->kind == RL_OP_DWCONV)
        {
          const RlConvSpec *cv = &net->conv[op->index];
          rl_dwconv2d_forward (1, c, h, w, cv->k, cur, model->folded + net->param[cv->p_w].offset,
                               model->folded + net->param[cv->p_b].offset, dst);
          if (cv->relu)
            rl_relu_forward ((size_t) c * h * w, dst);
        }
      else if (op->kind == RL_OP_DECONV)
        {
          const RlConvSpec *cv = &net->conv[op->index];
          st = rl_deconv2d_forward (ws, 1, c, h, w, cv->c_out, oh[i], ow[i], cur,
                                    model->folded + net->param[cv->p_w].offset,
                                    model->folded + net->param[cv->p_b].offset, dst, err);
          if (st == RL_OK && cv->relu)
            rl_relu_forward ((size_t) cv->c_out * oh[i] * ow[i], dst);
        }
      else if (op->kind == RL_OP_BILINEAR)
        rl_bilinear_forward (1, c, h, w, oh[i], ow[i], cur, dst);
      else
        rl_add_forward ((size_t) c * h * w, cur, kept[op->skip], dst);
      cur = dst;
      c = oc[i];
      h = oh[i];
      w = ow[i];
    }
  for (int i = 0; i < net->n_ops; i++)
    rl_mem_free (kept[i]);
  rl_workspace_free (ws);
  rl_mem_free (buf[0]);
  rl_mem_free (buf[1]);
  rl_mem_free (idx);
  return st;
}

void
rl_confidence_from_logits (const float *logits, int n_classes, size_t hw, const uint8_t *truth,
                           uint8_t *labels, uint8_t *conf_pred, uint8_t *conf_truth)
{
  for (size_t i = 0; i < hw; i++)
    {
      /* Softmax with the maximum subtracted: exp never overflows, the argmax gets exp(0). */
      int best = 0;
      float bv = logits[i];
      for (int k = 1; k < n_classes; k++)
        if (logits[(size_t) k * hw + i] > bv)
          {
            bv = logits[(size_t) k * hw + i];
            best = k;
          }
      double sum = 0.0, e_truth = 0.0;
      int t = truth != NULL ? truth[i] : -1;
      for (int k = 0; k < n_classes; k++)
        {
          double e = exp ((double) logits[(size_t) k * hw + i] - bv);
          sum += e;
          if (k == t)
            e_truth = e;
        }
      if (labels != NULL)
        labels[i] = (uint8_t) best;
      if (conf_pred != NULL)
        conf_pred[i] = (uint8_t) lrint (255.0 / sum);
      if (truth != NULL && conf_truth != NULL)
        conf_truth[i] = (uint8_t) lrint (255.0 * e_truth / sum);
    }
}

RlStatus
rl_model_predict_confidence_rgb8 (const RlModel *model, const uint8_t *rgb, int height,
                                  int width, const uint8_t *truth, uint8_t *labels,
                                  uint8_t *conf_pred, uint8_t *conf_truth, int n_threads,
                                  RlAbortFunc abort, void *abort_data, RlError *err)
{
  if (height < 1 || width < 1 || rgb == NULL || labels == NULL || conf_pred == NULL
      || (truth != NULL && conf_truth == NULL))
    return rl_error_set (err, RL_ERR_INVALID, "empty image (%dx%d)", width, height);
  size_t hw = (size_t) height * width;
  int nc = model->net.num_classes;
  float *x = malloc (3 * hw * sizeof (float));
  float *logits = malloc ((size_t) nc * hw * sizeof (float));
  if (x == NULL || logits == NULL)
    {
      free (x);
      free (logits);
      return rl_error_set (err, RL_ERR_NOMEM, "out of memory for a %dx%d image", width, height);
    }
  rl_net_normalize_input (&model->meta, rgb, height, width, x);
  RlStatus st = model_forward (model, RL_ENGINE_PATH_DEFAULT, x, height, width, logits,
                               n_threads, abort, abort_data, NULL, err);
  if (st == RL_OK)
    rl_confidence_from_logits (logits, nc, hw, truth, labels, conf_pred, conf_truth);
  free (x);
  free (logits);
  return st;
}

RlStatus
rl_model_forward (const RlModel *model, const float *x, int height, int width, float *logits,
                  int n_threads, RlAbortFunc abort, void *abort_data, RlError *err)
{
  return model_forward (model, RL_ENGINE_PATH_DEFAULT, x, height, width, logits, n_threads,
                        abort, abort_data, NULL, err);
}

RlStatus
rl_model_plan_info (const RlModel *model, int path, int height, int width, char *buf,
                    size_t size, RlError *err)
{
  if (buf != NULL && size > 0)
    buf[0] = '\0';
#ifdef RL_HAVE_DNNL_CONV
  RlDnnlPlan *plan = NULL;
  RlPrecision prec = path == RL_ENGINE_PATH_BF16 ? RL_PRECISION_BF16 : RL_PRECISION_FP32;
  if (path != RL_ENGINE_PATH_FP32 && path != RL_ENGINE_PATH_BF16)
    return rl_error_set (err, RL_ERR_INVALID, "rl_model_plan_info: path must be fp32 or bf16");
  if (!rl_net_is_plain (&model->net))
    return rl_error_set (err, RL_ERR_UNSUPPORTED, "%s has no whole-network oneDNN plan: it runs "
                         "layer by layer (its standard convolutions on oneDNN)",
                         model->net.arch);
  RlStatus st = rl_dnnl_plan_new (&model->net, model->folded, height, width, prec, 1, &plan,
                                  err);
  if (st != RL_OK)
    return st;
  size_t used = 0;
  for (int i = 0; i < rl_dnnl_plan_num_steps (plan) && buf != NULL && used < size; i++)
    {
      const RlOp *op = &model->net.op[i];
      const char *kind = op->kind == RL_OP_CONV ? model->net.conv[op->index].name
                         : op->kind == RL_OP_POOL ? "max-pool" : "max-unpool";
      int n = snprintf (buf + used, size - used, "%s %s\n", kind, rl_dnnl_plan_impl (plan, i));
      used += n > 0 ? (size_t) n : 0;
    }
  rl_dnnl_plan_free (plan);
  return RL_OK;
#else
  (void) model;
  (void) path;
  (void) height;
  (void) width;
  return rl_error_set (err, RL_ERR_UNSUPPORTED, "this build has no oneDNN");
#endif
}

RlStatus
rl_model_forward_on (const RlModel *model, int path, const float *x, int height, int width,
                     float *logits, int n_threads, RlAbortFunc abort, void *abort_data,
                     RlError *err)
{
  return model_forward (model, (RlEnginePath) path, x, height, width, logits, n_threads, abort,
                        abort_data, NULL, err);
}

RlStatus
rl_model_forward_with_indices (const RlModel *model, const float *x, int height, int width,
                               float *logits, int n_threads, int32_t **pool_indices, RlError *err)
{
  return model_forward (model, RL_ENGINE_PATH_DEFAULT, x, height, width, logits, n_threads, NULL,
                        NULL, pool_indices, err);
}

RlStatus
rl_model_predict_rgb8 (const RlModel *model, const uint8_t *rgb, int height, int width,
                       uint8_t *labels, int n_threads, RlAbortFunc abort, void *abort_data,
                       RlError *err)
{
  if (height < 1 || width < 1 || rgb == NULL || labels == NULL)
    return rl_error_set (err, RL_ERR_INVALID, "empty image (%dx%d)", width, height);
  size_t hw = (size_t) height * width;
  int nc = model->net.num_classes;
  /* From malloc, not rl_mem: these are per image, and malloc hands the same warm pages back
   * for the next one, where a fresh mapping would fault ~2400 pages in again each time. */
  float *x = malloc (3 * hw * sizeof (float));
  float *logits = malloc ((size_t) nc * hw * sizeof (float));
  if (x == NULL || logits == NULL)
    {
      free (x);
      free (logits);
      return rl_error_set (err, RL_ERR_NOMEM, "out of memory for a %dx%d image", width, height);
    }
  rl_net_normalize_input (&model->meta, rgb, height, width, x);
  RlStatus st = model_forward (model, RL_ENGINE_PATH_DEFAULT, x, height, width, logits,
                               n_threads, abort, abort_data, NULL, err);
  if (st == RL_OK)
    for (size_t i = 0; i < hw; i++)
      {
        int best = 0;
        float bv = logits[i];
        for (int k = 1; k < nc; k++)
          if (logits[(size_t) k * hw + i] > bv)
            {
              bv = logits[(size_t) k * hw + i];
              best = k;
            }
        labels[i] = (uint8_t) best;
      }
  free (x);
  free (logits);
  return st;
}

void
rl_model_set_engine_path (RlModel *model, int path)
{
  model->path = (RlEnginePath) path;
}
