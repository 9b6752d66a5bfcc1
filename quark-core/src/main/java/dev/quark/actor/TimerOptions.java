package dev.quark.actor;

/**
 * How a timer behaves beyond its schedule.
 *
 * @param keepsActivationAlive whether a tick counts as activity, so that a timer alone keeps its activation
 * from idle collection; by default ticks do not
 */
public record TimerOptions(boolean keepsActivationAlive) {

    /** Ticks do not keep the activation alive. */
    public static final TimerOptions DEFAULT = new TimerOptions(false);

    /**
     * Returns options under which ticks keep the activation alive.
     * @return the options
     */
    public static TimerOptions keepingActivationAlive() {
        return new TimerOptions(true);
    }
}
