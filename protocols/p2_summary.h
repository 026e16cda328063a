/* p2_summary.h -- the P2 summary of one dataset over methods and repeats
 * (PROTOCOLS.md, protocol P2): from the noise files of `prunebench noise`
 * (one per method and repeat, all on the same fraction x level grid),
 * per method and grid cell the mean and sample sd over repeats of the output
 * noise and of the quality under noise, and the mean achieved fraction per
 * requested fraction. Written as
 *   (a) surfaces: PREFIX-<method>.tsv, one block per fraction, rows by noise
 *       level (gnuplot splot ... with pm3d), and PREFIX-methods.gp (for the
 *       figure scripts: the method list with each method's style,
 *       protocols/styles.h; metric, title, grid point, repeats, and zmax,
 *       the largest mean output noise over all the surfaces);
 *   (b) slices: gnuplot index blocks, output noise vs percent removed at
 *       level at_level, then vs noise level at fraction at_fraction, one
 *       block per method (random first, then alphabetical);
 *   (c) LaTeX macros \pb<Dataset><Method>NoiseAtHalf (at the grid point),
 *       ...NoiseAtHalfQuality, ...NoiseMin, ...NoiseMax (over the surface);
 *   (d) optionally a LaTeX table, one row per method.
 */
#ifndef PB_P2_SUMMARY_H
#define PB_P2_SUMMARY_H

#include <stddef.h>

typedef struct pb_p2_summary_opts {
    const char *dataset;            /* every file's '# dataset:' must be this */
    const char *title;              /* the dataset's name as printed (NULL: dataset) */
    const char *surface_prefix;     /* (a) */
    const char *slices_out;         /* (b) */
    const char *macros_out;         /* (c) */
    const char *tex_out;            /* (d), or NULL */
    double at_fraction, at_level;   /* a requested fraction and a level of the grid (within 1e-9) */
} pb_p2_summary_opts;

/* Read the noise files, check they share dataset, metric, draws and grid
 * (and that no method has two files for one repeat), and write (a)-(d).
 * Refuses in one line: no files, a file that is not a noise file, a grid
 * point not on the grid. */
int pb_p2_summarize(const pb_p2_summary_opts *o, char **noise_files, size_t n_files);

#endif
