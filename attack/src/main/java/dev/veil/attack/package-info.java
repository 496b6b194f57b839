/**
 * Attacks on what an honest-but-curious server sees, and the audit that runs them.
 *
 * <ul>
 *   <li>{@code capture}: the server's view of a run, recorded where it arrives (a proxy at the Talaria cloud's door, a
 *       recording backend inside an AloePri server), stored as a JSON manifest and a safetensors file; the truth
 *       (plaintext tokens) is kept in a separate file and only used to score.</li>
 *   <li>{@code metrics}: token recovery (top-1, top-k) and BLEU-4.</li>
 *   <li>{@code talaria}, {@code aloepri}: the attacks on each design.</li>
 *   <li>{@code audit}: settings sweeps on a model, and the HTML/JSON report.</li>
 * </ul>
 */
package dev.veil.attack;
