package dev.veil.attack.aloepri;

/** Column z-scores: makes features comparable across sides whose scale differs (κ, RMS over d + 2h). */
final class Standardize {

    private Standardize() {}

    static float[] columns(float[] m, int rows, int cols) {
        float[] out = m.clone();
        for (int c = 0; c < cols; c++) {
            double s = 0, sq = 0;
            for (int r = 0; r < rows; r++) {
                s += m[r * cols + c];
                sq += (double) m[r * cols + c] * m[r * cols + c];
            }
            double mean = s / rows, sd = Math.sqrt(Math.max(sq / rows - mean * mean, 0));
            for (int r = 0; r < rows; r++) out[r * cols + c] = (float) (sd > 0 ? (m[r * cols + c] - mean) / sd : 0);
        }
        return out;
    }
}
