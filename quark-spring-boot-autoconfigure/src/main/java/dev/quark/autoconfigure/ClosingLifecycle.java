package dev.quark.autoconfigure;

import org.springframework.context.SmartLifecycle;

/**
 * A lifecycle that starts nothing and closes one thing Quark built when the context stops, in its phase: the phase
 * orders that close against the web server's, the cluster silo's, the workers' and the connection factories'
 * (a higher phase stops first).
 */
public abstract class ClosingLifecycle implements SmartLifecycle {

    private final int phase;

    private volatile boolean running;

    /**
     * @param phase the phase to stop in
     */
    protected ClosingLifecycle(int phase) {
        this.phase = phase;
    }

    @Override
    public final void start() {
        this.running = true;
    }

    @Override
    public final void stop() {
        this.running = false;
        close();
    }

    /**
     * Closes what this lifecycle stands for; called once per stop of the context.
     */
    protected abstract void close();

    @Override
    public final boolean isRunning() {
        return this.running;
    }

    @Override
    public final int getPhase() {
        return this.phase;
    }
}
