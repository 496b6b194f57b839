package dev.veil.aloepri.transform;

/** The paper's router normalisation for mixture-of-experts layers (§5.2.4). */
public final class Experts {

    private Experts() {}

    /**
     * Every expert's router row rescaled to the layer's mean row norm. The paper normalises each expert's router
     * vector and leaves the target norm open; keeping the mean keeps the softmax's temperature. Not exact: an expert
     * whose row was longer than the mean loses logit, so the routing changes (measured in aloepri/README.md).
     */
    public static WeightMatrix normalizeRows(WeightMatrix router) {
        int rows = router.rows(), cols = router.cols();
        float[] in = router.data(), out = new float[in.length];
        double[] norm = new double[rows];
        double mean = 0;
        for (int r = 0; r < rows; r++) {
            double s = 0;
            for (int c = 0; c < cols; c++) s += (double) in[r * cols + c] * in[r * cols + c];
            norm[r] = Math.sqrt(s);
            mean += norm[r] / rows;
        }
        for (int r = 0; r < rows; r++) {
            double f = norm[r] > 0 ? mean / norm[r] : 0;
            for (int c = 0; c < cols; c++) out[r * cols + c] = (float) (in[r * cols + c] * f);
        }
        return new WeightMatrix(rows, cols, out);
    }
}
