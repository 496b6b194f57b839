package dev.veil.attack.capture;

import dev.veil.model.ModelConfig;
import dev.veil.talaria.client.SetupService;
import dev.veil.talaria.protocol.SetupRequest;
import java.util.ArrayList;
import java.util.List;

/**
 * Records the session seeds a Talaria client sends its setup authority: what a cloud colluding with the authority
 * would learn (and with it every M_pub), for the complement-projection attack.
 */
public final class RecordingSetupService implements SetupService {

    private final SetupService inner;
    private final List<SetupSeen> seen = new ArrayList<>();
    private int request;

    public RecordingSetupService(SetupService inner) {
        this.inner = inner;
    }

    /** Setups from now on belong to request {@code index}. */
    public synchronized void beginRequest(int index) {
        this.request = index;
    }

    @Override
    public Reply setup(SetupRequest r, ModelConfig config) {
        synchronized (this) {
            seen.add(new SetupSeen(request, r.seed(), r.plan()));
        }
        return inner.setup(r, config);
    }

    public synchronized List<SetupSeen> seen() {
        return List.copyOf(seen);
    }

    @Override
    public void close() {
        inner.close();
    }
}
