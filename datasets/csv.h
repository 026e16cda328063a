/* csv.h -- the CSV layout of the shipped tabular files (wine_data.csv,
 * boston_house_prices.csv; datasets/PROVENANCE.md): a first line
 * "n,d[,names...]", an optional line of column names, then n rows of d
 * features and one target. */
#ifndef PB_CSV_H
#define PB_CSV_H

#include "datasets/data.h"

/* Read path into out (ydim 1). classification: the target is a class label,
 * a non-negative integer, and n_classes = largest label + 1; else
 * regression (n_classes 0). Every value is finite and at most
 * PB_DATA_MAX_ABS (data.h) in magnitude. Memory grows with the rows read, never with
 * the count line 1 announces. Errors are one line naming the file, line
 * and column. On failure out is left empty. */
int pb_csv_load(const char *path, int classification, const char *name, pb_data *out);

#endif
