package dev.quark.supervision;

import java.time.Duration;
import java.util.Objects;

/**
 * How a parent supervises its children: which children a decision applies to, the {@link Decider}, how
 * many restarts a child may have within a window, and the {@link Backoff} between them. A child that would
 * exceed its restarts is stopped and the failure is escalated to the parent.
 * <pre>{@code
 * @Override
 * protected SupervisorStrategy supervisorStrategy() {
 *     return SupervisorStrategy.oneForOne()
 *         .decider(Decider.builder().on(IllegalStateException.class, Directive.RESTART).otherwise(Directive.ESCALATE))
 *         .maxRestarts(3, Duration.ofMinutes(1))
 *         .backoff(Backoff.exponential(Duration.ofMillis(100), Duration.ofSeconds(5), 2.0, 0.2))
 *         .build();
 * }
 * }</pre>
 *
 * @param scope which children a decision applies to
 * @param decider maps failures to directives
 * @param maxRestarts how many restarts a child may have within {@code window}
 * @param window the time window restarts are counted in
 * @param backoff the delay before each restart
 */
public record SupervisorStrategy(Scope scope, Decider decider, int maxRestarts, Duration window, Backoff backoff) {

    /** What children get without an explicit strategy: see {@link #defaults()}. */
    private static final SupervisorStrategy DEFAULTS = oneForOne().build();

    /**
     * Validates the settings.
     * @throws IllegalArgumentException naming the invalid setting
     */
    public SupervisorStrategy {
        Objects.requireNonNull(scope, "scope must not be null");
        Objects.requireNonNull(decider, "decider must not be null");
        Objects.requireNonNull(window, "window must not be null");
        Objects.requireNonNull(backoff, "backoff must not be null");
        if (maxRestarts < 0) {
            throw new IllegalArgumentException("maxRestarts must not be negative, was " + maxRestarts);
        }
        if (window.isNegative() || window.isZero()) {
            throw new IllegalArgumentException("Restart window must be positive, was " + window);
        }
    }

    /**
     * Returns the strategy children get by default: one-for-one; restart on any {@link Exception}, escalate
     * any {@link Error}; at most 10 restarts per minute; backoff from 100 ms doubling to 10 s with 20 %
     * jitter.
     * @return the default strategy
     */
    public static SupervisorStrategy defaults() {
        return DEFAULTS;
    }

    /**
     * Starts a strategy whose decisions apply to the failing child only.
     * @return a builder
     */
    public static Builder oneForOne() {
        return new Builder(Scope.ONE_FOR_ONE);
    }

    /**
     * Starts a strategy whose decisions apply to every child of the parent.
     * @return a builder
     */
    public static Builder allForOne() {
        return new Builder(Scope.ALL_FOR_ONE);
    }

    /**
     * Starts a strategy whose decisions apply to the failing child and the children spawned after it.
     * @return a builder
     */
    public static Builder restForOne() {
        return new Builder(Scope.REST_FOR_ONE);
    }

    /**
     * Which children a decision applies to.
     */
    public enum Scope {

        /** The failing child only. */
        ONE_FOR_ONE,

        /** Every child of the parent. */
        ALL_FOR_ONE,

        /** The failing child and its siblings spawned after it. */
        REST_FOR_ONE
    }

    /**
     * Builds a {@link SupervisorStrategy}; invalid settings fail when set.
     */
    public static final class Builder {

        private final Scope scope;

        private Decider decider = Decider.builder().on(Error.class, Directive.ESCALATE).otherwise(Directive.RESTART);

        private int maxRestarts = 10;

        private Duration window = Duration.ofMinutes(1);

        private Backoff backoff = Backoff.exponential(Duration.ofMillis(100), Duration.ofSeconds(10), 2.0, 0.2);

        private Builder(Scope scope) {
            this.scope = scope;
        }

        /**
         * Sets how failures map to directives. Default: restart on exceptions, escalate errors.
         * @param decider the decider
         * @return this builder
         */
        public Builder decider(Decider decider) {
            this.decider = Objects.requireNonNull(decider, "decider must not be null");
            return this;
        }

        /**
         * Sets how many restarts a child may have within a window. Default: 10 per minute.
         * @param maxRestarts not negative; 0 stops the child at its first failure that asks for a restart
         * @param window positive
         * @return this builder
         * @throws IllegalArgumentException naming the invalid value
         */
        public Builder maxRestarts(int maxRestarts, Duration window) {
            Objects.requireNonNull(window, "window must not be null");
            if (maxRestarts < 0) {
                throw new IllegalArgumentException("maxRestarts must not be negative, was " + maxRestarts);
            }
            if (window.isNegative() || window.isZero()) {
                throw new IllegalArgumentException("Restart window must be positive, was " + window);
            }
            this.maxRestarts = maxRestarts;
            this.window = window;
            return this;
        }

        /**
         * Sets the delay before restarts. Default: from 100 ms, doubling, up to 10 s, 20 % jitter.
         * @param backoff the backoff
         * @return this builder
         */
        public Builder backoff(Backoff backoff) {
            this.backoff = Objects.requireNonNull(backoff, "backoff must not be null");
            return this;
        }

        /**
         * Builds the strategy.
         * @return the strategy
         */
        public SupervisorStrategy build() {
            return new SupervisorStrategy(this.scope, this.decider, this.maxRestarts, this.window, this.backoff);
        }
    }
}
