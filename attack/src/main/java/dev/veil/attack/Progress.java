package dev.veil.attack;

/** Told about each unit of work a long attack finishes (the audit shows a progress bar). */
@FunctionalInterface
public interface Progress {

    void step();

    Progress NONE = () -> {};
}
