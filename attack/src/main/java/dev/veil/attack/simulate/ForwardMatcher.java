package dev.veil.attack.simulate;

import dev.veil.engine.KvCache;
import dev.veil.engine.LinearBackend;
import dev.veil.engine.Transformer;
import dev.veil.talaria.protocol.ModelName;
import java.util.Arrays;

/**
 * Forward simulation with the public model, for attacks that match what the server saw: holds a prefix of guessed
 * tokens in a KV cache and, for candidate next tokens, computes the row the model would send into a target product at
 * the next position (running the forward pass only that far), so the candidate whose row is nearest an observed row
 * can be chosen and appended.
 */
public final class ForwardMatcher {

    private final StopAtProduct stopper;
    private final Transformer model;
    private final KvCache cache;
    private final ModelName target;
    private int position;
    private boolean clear;

    /** @param target a hidden-state product, e.g. {@code layer.1.qkv} */
    public ForwardMatcher(LinearBackend publicModel, ModelName target) {
        if (target.product().op == null)
            throw new IllegalArgumentException("forward matching needs a hidden-state product, not " + target);
        this.target = target;
        this.stopper = new StopAtProduct(publicModel, target.product().op, Math.max(target.layer(), 0));
        this.model = new Transformer(stopper);
        this.cache = model.newCache();
    }

    /** Relative distance ‖row(c) − observed‖ / ‖observed‖ of the next position's row, over their common leading coordinates. */
    public float distance(int candidate, float[] observed) {
        stopper.arm(true);
        try {
            model.forward(new int[] {candidate}, cache);
            throw new IllegalStateException("the forward pass never reached " + target);
        } catch (StopAtProduct.Reached reached) {
            return relativeDistance(stopper.captured(), observed);
        } finally {
            stopper.arm(false);
        }
    }

    /**
     * Tries candidates for the next position in {@code order} until one's row matches {@code observed} within
     * {@code tolerance} (relative distance); returns the distance of each candidate tried ({@link Float#MAX_VALUE} for
     * those not tried). The search is bounded by {@code budget} — except at the first position, and once any position
     * has matched exactly: the rows are then evidently in the clear, and it goes on through the whole order.
     */
    public float[] search(int[] order, float[] observed, int budget, double tolerance) {
        float[] distance = new float[order.length];
        Arrays.fill(distance, Float.MAX_VALUE);
        for (int c = 0; c < order.length && (position == 0 || clear || c < budget); c++) {
            distance[c] = distance(order[c], observed);
            if (distance[c] <= tolerance) {
                clear = true;
                break;
            }
        }
        return distance;
    }

    /** Appends {@code token} to the prefix; returns the model's next-token logits after it. */
    public float[] append(int token) {
        position++;
        return model.forward(new int[] {token}, cache);
    }

    static float relativeDistance(float[] row, float[] observed) {
        int len = Math.min(row.length, observed.length);
        double d = 0, n = 0;
        for (int i = 0; i < len; i++) {
            double diff = row[i] - observed[i];
            d += diff * diff;
            n += (double) observed[i] * observed[i];
        }
        return (float) Math.sqrt(d / Math.max(n, Double.MIN_NORMAL));
    }
}
