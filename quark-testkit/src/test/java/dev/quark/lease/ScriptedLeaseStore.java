package dev.quark.lease;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BiFunction;

/**
 * A lease store for keeper tests: delegates to a real store, records the renewal and release calls, and lets a
 * test make renewals fail (as if the backend were unreachable) or answer as it wants.
 */
final class ScriptedLeaseStore implements LeaseStore {

    private final LeaseStore delegate;

    private final List<List<Lease>> renewals = new CopyOnWriteArrayList<>();

    private final List<Lease> released = new CopyOnWriteArrayList<>();

    private volatile int failingRenewals;

    private volatile BiFunction<Collection<Lease>, Duration, LeaseRenewal> renewal;

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

    List<List<Lease>> renewals() {
        return this.renewals;
    }

    List<Lease> released() {
        return this.released;
    }

    @Override
    public Optional<Lease> tryAcquire(String resource, String owner, Duration duration) {
        return this.delegate.tryAcquire(resource, owner, duration);
    }

    @Override
    public List<Lease> tryAcquireAny(Collection<String> resources, int max, String owner, Duration duration) {
        return this.delegate.tryAcquireAny(resources, max, owner, duration);
    }

    @Override
    public Optional<Lease> renew(Lease lease, Duration duration) {
        return renewAll(List.of(lease), duration).renewed().stream().findFirst();
    }

    @Override
    public LeaseRenewal renewAll(Collection<Lease> leases, Duration duration) {
        this.renewals.add(List.copyOf(leases));
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
