package dev.veil.attack.capture;

import dev.veil.talaria.protocol.SetupPlan;

/**
 * A Talaria session seed as the setup authority received it. Not part of the cloud's view: it models a cloud that
 * colludes with the authority (or otherwise learns M_pub), the attacker of the complement-projection attack.
 *
 * @param request the request during which the session was set up
 */
public record SetupSeen(int request, byte[] seed, SetupPlan plan) {
    public SetupSeen {
        seed = seed.clone();
    }
}
