package dev.quark.jobs;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.random.RandomGenerator;

/**
 * How often a job is attempted and how long it waits between attempts: up to {@link #maxAttempts()} attempts,
 * the n-th retry waiting {@code initialBackoff * multiplier^(n-1)}, at most {@code maxBackoff}, spread by a random
 * jitter of &plusmn;{@code jitter} of it, so that jobs that failed together do not all retry together. Immutable:
 * <pre>{@code
 * RetryPolicy policy = RetryPolicy.builder()
 *     .maxAttempts(8)
 *     .backoff(Duration.ofSeconds(1), 2.0, Duration.ofMinutes(10))
 *     .jitter(0.2)
 *     .retryOn(IOException.class)                 // only these are retried (default: every exception)
 *     .abortOn(IllegalArgumentException.class)    // never retried
 *     .build();
 * }</pre>
 * A failure is retryable unless it is a {@link NonRetryableJobException}, a {@link JobPayloadException} or one of
 * the {@code abortOn} types, and, when {@code retryOn} types are given, it is one of them; a type matches its
 * subclasses. Only the failure itself is looked at, not its causes.
 */
public final class RetryPolicy {

    private static final RetryPolicy DEFAULTS = builder().build();

    private final int maxAttempts;

    private final Duration initialBackoff;

    private final double multiplier;

    private final Duration maxBackoff;

    private final double jitter;

    private final List<Class<? extends Throwable>> retryOn;

    private final List<Class<? extends Throwable>> abortOn;

    private RetryPolicy(Builder builder) {
        this.maxAttempts = builder.maxAttempts;
        this.initialBackoff = builder.initialBackoff;
        this.multiplier = builder.multiplier;
        this.maxBackoff = builder.maxBackoff;
        this.jitter = builder.jitter;
        this.retryOn = List.copyOf(builder.retryOn);
        this.abortOn = List.copyOf(builder.abortOn);
    }

    /**
     * Returns the default policy: 5 attempts, backoff from 10 seconds doubling up to an hour, jitter 0.2, every
     * exception retried.
     * @return the policy
     */
    public static RetryPolicy defaults() {
        return DEFAULTS;
    }

    /**
     * Returns a policy of one attempt: a failed job is dead-lettered at once.
     * @return the policy
     */
    public static RetryPolicy noRetries() {
        return builder().maxAttempts(1).build();
    }

    /**
     * Starts building a policy from the defaults.
     * @return the builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Returns a builder with this policy's settings.
     * @return the builder
     */
    public Builder toBuilder() {
        Builder builder = new Builder().maxAttempts(this.maxAttempts)
            .backoff(this.initialBackoff, this.multiplier, this.maxBackoff)
            .jitter(this.jitter);
        builder.retryOn.addAll(this.retryOn);
        builder.abortOn.addAll(this.abortOn);
        return builder;
    }

    /**
     * Returns whether another attempt follows a failed one.
     * @param failure what the attempt threw
     * @param attempt the attempt that failed, from 1
     * @return whether the failure is retryable and attempts remain
     */
    public boolean shouldRetry(Throwable failure, int attempt) {
        return attempt < this.maxAttempts && isRetryable(failure);
    }

    /**
     * Returns whether a failure may be retried, whatever the attempts left.
     * @param failure what an attempt threw
     * @return whether it is retryable
     */
    public boolean isRetryable(Throwable failure) {
        if (failure instanceof NonRetryableJobException || failure instanceof JobPayloadException) {
            return false;
        }
        for (Class<? extends Throwable> type : this.abortOn) {
            if (type.isInstance(failure)) {
                return false;
            }
        }
        if (this.retryOn.isEmpty()) {
            return true;
        }
        for (Class<? extends Throwable> type : this.retryOn) {
            if (type.isInstance(failure)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Returns how long to wait after a failed attempt before the next one.
     * @param attempt the attempt that failed, from 1
     * @param random where the jitter comes from
     * @return the backoff, jitter included, never negative
     */
    public Duration backoff(int attempt, RandomGenerator random) {
        if (attempt < 1) {
            throw new IllegalArgumentException("Attempts count from 1, was " + attempt);
        }
        double nanos = (double) this.initialBackoff.toNanos() * Math.pow(this.multiplier, attempt - 1);
        nanos = Math.min(nanos, (double) this.maxBackoff.toNanos());
        if (this.jitter > 0) {
            nanos = nanos * (1 + this.jitter * (2 * random.nextDouble() - 1));
        }
        return Duration.ofNanos((long) Math.max(0, nanos));
    }

    /**
     * Returns the most attempts a job gets, the first included.
     * @return the attempts, at least 1
     */
    public int maxAttempts() {
        return this.maxAttempts;
    }

    /**
     * Returns the backoff after the first failed attempt, before jitter.
     * @return the backoff
     */
    public Duration initialBackoff() {
        return this.initialBackoff;
    }

    /**
     * Returns what each backoff is multiplied by for the next.
     * @return the multiplier, at least 1
     */
    public double multiplier() {
        return this.multiplier;
    }

    /**
     * Returns the longest backoff, before jitter.
     * @return the backoff
     */
    public Duration maxBackoff() {
        return this.maxBackoff;
    }

    /**
     * Returns the share of a backoff by which it is spread at random, both ways.
     * @return 0 to 1
     */
    public double jitter() {
        return this.jitter;
    }

    /**
     * Returns the only exception types retried, when not empty.
     * @return the types
     */
    public List<Class<? extends Throwable>> retryOn() {
        return this.retryOn;
    }

    /**
     * Returns the exception types never retried.
     * @return the types
     */
    public List<Class<? extends Throwable>> abortOn() {
        return this.abortOn;
    }

    @Override
    public boolean equals(Object other) {
        return (other instanceof RetryPolicy that) && this.maxAttempts == that.maxAttempts
                && this.initialBackoff.equals(that.initialBackoff) && this.multiplier == that.multiplier
                && this.maxBackoff.equals(that.maxBackoff) && this.jitter == that.jitter
                && this.retryOn.equals(that.retryOn) && this.abortOn.equals(that.abortOn);
    }

    @Override
    public int hashCode() {
        return Objects.hash(this.maxAttempts, this.initialBackoff, this.multiplier, this.maxBackoff, this.jitter,
                this.retryOn, this.abortOn);
    }

    @Override
    public String toString() {
        return "RetryPolicy[" + this.maxAttempts + " attempts, backoff " + this.initialBackoff + " x" + this.multiplier
                + " up to " + this.maxBackoff + ", jitter " + this.jitter
                + (this.retryOn.isEmpty() ? "" : ", retry on " + names(this.retryOn))
                + (this.abortOn.isEmpty() ? "" : ", abort on " + names(this.abortOn)) + "]";
    }

    private static List<String> names(List<Class<? extends Throwable>> types) {
        return types.stream().map(Class::getName).toList();
    }

    /**
     * Builds a {@link RetryPolicy}; every setter checks its value and names it when it is not allowed.
     */
    public static final class Builder {

        private int maxAttempts = 5;

        private Duration initialBackoff = Duration.ofSeconds(10);

        private double multiplier = 2.0;

        private Duration maxBackoff = Duration.ofHours(1);

        private double jitter = 0.2;

        private final List<Class<? extends Throwable>> retryOn = new ArrayList<>();

        private final List<Class<? extends Throwable>> abortOn = new ArrayList<>();

        private Builder() {
        }

        /**
         * Sets the most attempts, the first included; 5 unless set.
         * @param maxAttempts at least 1
         * @return this builder
         */
        public Builder maxAttempts(int maxAttempts) {
            if (maxAttempts < 1) {
                throw new IllegalArgumentException("maxAttempts must be at least 1, was " + maxAttempts);
            }
            this.maxAttempts = maxAttempts;
            return this;
        }

        /**
         * Sets the exponential backoff; 10 seconds doubling up to an hour unless set.
         * @param initial the backoff after the first failure, zero or positive
         * @param multiplier what each backoff is multiplied by, at least 1
         * @param max the longest backoff, at least {@code initial}
         * @return this builder
         */
        public Builder backoff(Duration initial, double multiplier, Duration max) {
            Objects.requireNonNull(initial, "initial must not be null");
            Objects.requireNonNull(max, "max must not be null");
            if (initial.isNegative()) {
                throw new IllegalArgumentException("The initial backoff must not be negative, was " + initial);
            }
            if (!(multiplier >= 1.0) || Double.isInfinite(multiplier)) {
                throw new IllegalArgumentException("The backoff multiplier must be at least 1, was " + multiplier);
            }
            if (max.compareTo(initial) < 0) {
                throw new IllegalArgumentException("The longest backoff " + max + " must not be shorter than the initial "
                        + "backoff " + initial);
            }
            this.initialBackoff = initial;
            this.multiplier = multiplier;
            this.maxBackoff = max;
            return this;
        }

        /**
         * Sets a fixed backoff.
         * @param backoff the wait after every failure, zero or positive
         * @return this builder
         */
        public Builder fixedBackoff(Duration backoff) {
            return backoff(backoff, 1.0, backoff);
        }

        /**
         * Sets the jitter; 0.2 unless set.
         * @param jitter the share of a backoff by which it is spread at random both ways, 0 to 1
         * @return this builder
         */
        public Builder jitter(double jitter) {
            if (!(jitter >= 0 && jitter <= 1)) {
                throw new IllegalArgumentException("The jitter must be between 0 and 1, was " + jitter);
            }
            this.jitter = jitter;
            return this;
        }

        /**
         * Retries only failures of these types (and their subclasses).
         * @param types the types
         * @return this builder
         */
        @SafeVarargs
        public final Builder retryOn(Class<? extends Throwable>... types) {
            for (Class<? extends Throwable> type : types) {
                this.retryOn.add(Objects.requireNonNull(type, "retryOn types must not be null"));
            }
            return this;
        }

        /**
         * Never retries failures of these types (and their subclasses).
         * @param types the types
         * @return this builder
         */
        @SafeVarargs
        public final Builder abortOn(Class<? extends Throwable>... types) {
            for (Class<? extends Throwable> type : types) {
                this.abortOn.add(Objects.requireNonNull(type, "abortOn types must not be null"));
            }
            return this;
        }

        /**
         * Builds the policy.
         * @return the policy
         */
        public RetryPolicy build() {
            return new RetryPolicy(this);
        }
    }
}
