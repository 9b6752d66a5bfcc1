package dev.quark.lease;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BiFunction;

/**
 * A lease store for keeper tests: delegates to a real store, records the renewal and release calls, and lets a
 * test make renewals fail (as if the backend were unreachable), take time, or answer as it wants, and act right
 * after an acquisition.
 */
final class ScriptedLeaseStore implements LeaseStore {

    private final LeaseStore delegate;

    private final List<List<Lease>> renewals = new CopyOnWriteArrayList<>();

    private final List<Lease> released = new CopyOnWriteArrayList<>();

    private volatile int failingRenewals;

    private volatile BiFunction<Collection<Lease>, Duration, LeaseRenewal> renewal;

    private final Queue<Runnable> beforeNextRenewals = new ConcurrentLinkedQueue<>();

    private volatile Runnable beforeEachRenewal = () -> {
    };

    private volatile Runnable afterAcquisition = () -> {
    };

    ScriptedLeaseStore(LeaseStore delegate) {
        this.delegate = delegate;
        this.renewal = delegate::renewAll;
    }

    /**
     * Makes the next renewals throw, as a backend that cannot be reached.
     */
    void failNextRenewals(int count) {
        this.failingRenewals = count;
    }

    /**
     * Answers renewals with a function instead of the real store.
     */
    void answerRenewals(BiFunction<Collection<Lease>, Duration, LeaseRenewal> answer) {
        this.renewal = answer;
    }

    /**
     * Runs an action at the start of every renewal call, for instance to move a manual clock as a slow call would.
     */
    void beforeEachRenewal(Runnable action) {
        this.beforeEachRenewal = action;
    }

    /**
     * Runs an action at the start of the next renewal call only; an exception it throws fails that call.
     */
    void beforeNextRenewal(Runnable action) {
        this.beforeNextRenewals.add(action);
    }

    /**
     * Runs an action after each acquisition, before its leases are returned.
     */
    void afterAcquisition(Runnable action) {
        this.afterAcquisition = action;
    }

    List<List<Lease>> renewals() {
        return this.renewals;
    }

    List<Lease> released() {
        return this.released;
    }

    @Override
    public Optional<Lease> tryAcquire(String resource, String owner, Duration duration) {
        return tryAcquireAny(List.of(resource), 1, owner, duration).stream().findFirst();
    }

    @Override
    public List<Lease> tryAcquireAny(Collection<String> resources, int max, String owner, Duration duration) {
        List<Lease> acquired = this.delegate.tryAcquireAny(resources, max, owner, duration);
        this.afterAcquisition.run();
        return acquired;
    }

    @Override
    public Optional<Lease> renew(Lease lease, Duration duration) {
        return renewAll(List.of(lease), duration).renewed().stream().findFirst();
    }

    @Override
    public LeaseRenewal renewAll(Collection<Lease> leases, Duration duration) {
        this.renewals.add(List.copyOf(leases));
        this.beforeEachRenewal.run();
        Runnable once = this.beforeNextRenewals.poll();
        if (once != null) {
            once.run();
        }
        if (this.failingRenewals > 0) {
            this.failingRenewals--;
            throw new IllegalStateException("Backend unreachable (scripted)");
        }
        return this.renewal.apply(leases, duration);
    }

    @Override
    public boolean release(Lease lease) {
        return !releaseAll(List.of(lease)).isEmpty();
    }

    @Override
    public List<Lease> releaseAll(Collection<Lease> leases) {
        this.released.addAll(leases);
        return new ArrayList<>(this.delegate.releaseAll(leases));
    }

    @Override
    public Optional<LeaseHolder> holder(String resource) {
        return this.delegate.holder(resource);
    }
}
