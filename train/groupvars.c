/* groupvars.c -- see groupvars.h. */
#include "train/groupvars.h"
#include "base/util.h"

#include <math.h>
#include <stdlib.h>
#include <gsl/gsl_randist.h>

int pb_groupvars_open(pb_groupvars *gv, const pb_model *m, size_t B, size_t off, const char *label)
{
    size_t nv = m->n_variable_groups;
    *gv = (pb_groupvars){.nv = nv, .off = off};
    if (!nv) return PB_OK;
    gv->block = pb_drv_block(7, (size_t[]){B * nv, B * nv, B * nv, nv, nv, nv, 2 * nv},
                             (double **const[]){&gv->Z, &gv->dZ, &gv->ez, &gv->sz, &gv->dkt, &gv->dkr, &gv->g});
    return gv->block ? PB_OK : pb_error(PB_ERR_NOMEM, "%s: out of memory", label);
}

void pb_groupvars_close(pb_groupvars *gv)
{
    free(gv->block);
    gv->block = NULL;
}

void pb_groupvars_init(const pb_groupvars *gv, double *x, double init_log_sigma2)
{
    double *tz = x + gv->off, *lsz = tz + gv->nv;
    for (size_t k = 0; k < gv->nv; k++) tz[k] = 1.0, lsz[k] = init_log_sigma2;
}

/* z = theta_z + sigma_z eps, eps per sample */
void pb_groupvars_sample(pb_groupvars *gv, const double *x, size_t b, gsl_rng *rng)
{
    size_t nv = gv->nv;
    const double *tz = x + gv->off, *lsz = tz + nv;
    for (size_t k = 0; k < nv; k++) gv->sz[k] = exp(0.5 * lsz[k]);
    for (size_t i = 0; i < b; i++)
        for (size_t k = 0; k < nv; k++) {
            gv->ez[i * nv + k] = gsl_ran_gaussian_ziggurat(rng, 1.0);
            gv->Z[i * nv + k] = tz[k] + gv->sz[k] * gv->ez[i * nv + k];
        }
}

double pb_groupvars_kl(pb_groupvars *gv, const pb_training *tr, void *state, const double *x)
{
    const double *tz = x + gv->off, *lsz = tz + gv->nv;
    return tr->kl(state, gv->nv, tz, lsz, gv->dkt, gv->dkr);
}

/* dz/dtheta_z = 1, dz/dlog sigma_z^2 = sigma_z eps / 2, summed over the samples */
void pb_groupvars_grad(pb_groupvars *gv, size_t b, double scale, double kscale)
{
    size_t nv = gv->nv;
    for (size_t k = 0; k < nv; k++) {
        double a = 0, c = 0;
        for (size_t i = 0; i < b; i++) a += gv->dZ[i * nv + k], c += gv->dZ[i * nv + k] * gv->ez[i * nv + k];
        gv->g[k] = scale * a + kscale * gv->dkt[k];
        gv->g[nv + k] = scale * c * 0.5 * gv->sz[k] + kscale * gv->dkr[k];
    }
}

int pb_groupvars_fit(const pb_groupvars *gv, const pb_model *m, const double *x, pb_fit *fit)
{
    size_t nv = gv->nv;
    const double *tz = x + gv->off, *lsz = tz + nv;
    int st = pb_fit_alloc_groups(fit, nv);
    if (st) return st;
    for (size_t k = 0; k < nv; k++) {
        const pb_group *G = &m->groups[m->variable_group[k]];
        for (size_t q = 0; q < G->n_members; q++) {
            fit->mean[G->members[q]] *= tz[k];
            fit->sd[G->members[q]] *= fabs(tz[k]);
        }
        fit->group_mean[k] = tz[k];
        fit->group_sd[k] = exp(0.5 * lsz[k]);
    }
    return PB_OK;
}
