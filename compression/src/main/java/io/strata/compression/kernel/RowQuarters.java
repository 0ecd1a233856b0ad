// Four-row passes a quarter of a row range apart: which rows a pass takes.
package io.strata.compression.kernel;

/**
 * The row range [r0, r1) cut into four quarters of q = ceil((r1 − r0) / 4) rows (the last ones may be shorter or
 * empty). Pass i takes row i of each quarter, so a kernel reading the four rows streams four runs of pages, which the
 * hardware prefetcher follows side by side (bench/results/cpu-speed/spread-rows/). Kernels whose passes stay on
 * consecutive rows take them from {@link #consecutive}.
 */
final class RowQuarters {
    private RowQuarters() {}

    /** The end (exclusive) of quarter k. */
    static int end(int r0, int r1, int q, int k) {
        return Math.min(r0 + (k + 1) * q, r1);
    }

    /** Pass i's rows when passes take consecutive rows (r0 + 4·i on), into row[0 ..); returns how many (1 to 4). */
    static int consecutive(int r0, int r1, int i, int[] row) {
        int n = Math.min(4, r1 - (r0 + 4 * i));
        for (int k = 0; k < n; k++) row[k] = r0 + 4 * i + k;
        return n;
    }

    /**
     * The rows of pass i into row[0 ..), in quarter order; returns how many (1 to 4 for i < q). A quarter that has run
     * out ends the list: the quarters before it are at least as long.
     */
    static int rows(int r0, int r1, int q, int i, int[] row) {
        int n = 0;
        for (int k = 0; k < 4; k++) {
            int r = r0 + k * q + i;
            if (r >= end(r0, r1, q, k)) break;
            row[n++] = r;
        }
        return n;
    }
}
