package dev.quark.lease;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * What every {@link LeaseStore} does the same way, so that backends only talk to their storage: the arguments
 * are checked (with the same messages everywhere), duplicates removed, empty requests answered without a round
 * trip, and {@link Lease#validUntil()} computed from the caller's clock read <em>before</em> the request is sent,
 * which is what makes it conservative. A backend implements four batch operations; the single-lease methods use
 * them.
 */
public abstract class AbstractLeaseStore implements LeaseStore {

    private final Clock clock;

    /**
     * Creates a store.
     * @param clock the caller's clock, which computes {@link Lease#validUntil()}; whether it also decides expiry is
     * the backend's to say
     */
    protected AbstractLeaseStore(Clock clock) {
        this.clock = Objects.requireNonNull(clock, "clock must not be null");
    }

    /**
     * Returns the caller's clock.
     * @return the clock
     */
    protected final Clock clock() {
        return this.clock;
    }

    @Override
    public final Optional<Lease> tryAcquire(String resource, String owner, Duration duration) {
        return tryAcquireAny(List.of(LeaseArguments.requireResource(resource)), 1, owner, duration).stream()
            .findFirst();
    }

    @Override
    public final List<Lease> tryAcquireAny(Collection<String> resources, int max, String owner, Duration duration) {
        Objects.requireNonNull(resources, "resources must not be null");
        LeaseArguments.requireMax(max);
        LeaseArguments.requireOwner(owner);
        Duration effective = LeaseArguments.requireDuration(duration);
        Set<String> candidates = new LinkedHashSet<>();
        for (String resource : resources) {
            candidates.add(LeaseArguments.requireResource(resource));
        }
        if (max == 0 || candidates.isEmpty()) {
            return List.of();
        }
        Instant sent = this.clock.instant();
        Map<String, FencingToken> granted = acquire(List.copyOf(candidates), Math.min(max, candidates.size()), owner,
                effective);
        List<Lease> leases = new ArrayList<>(granted.size());
        for (String resource : candidates) {
            FencingToken token = granted.get(resource);
            if (token != null) {
                leases.add(new Lease(resource, owner, token, sent.plus(effective)));
            }
        }
        if (leases.size() != granted.size() || leases.size() > max) {
            throw new IllegalStateException(getClass().getSimpleName() + " granted " + granted.keySet()
                    + " when asked for at most " + max + " of " + candidates);
        }
        return List.copyOf(leases);
    }

    @Override
    public final Optional<Lease> renew(Lease lease, Duration duration) {
        Objects.requireNonNull(lease, "lease must not be null");
        return renewAll(List.of(lease), duration).renewed().stream().findFirst();
    }

    @Override
    public final LeaseRenewal renewAll(Collection<Lease> leases, Duration duration) {
        Duration effective = LeaseArguments.requireDuration(duration);
        List<Lease> distinct = distinct(leases);
        if (distinct.isEmpty()) {
            return new LeaseRenewal(List.of(), List.of());
        }
        Instant sent = this.clock.instant();
        Set<LeaseId> extended = ids(extend(distinct, effective));
        List<Lease> renewed = new ArrayList<>();
        List<Lease> lost = new ArrayList<>();
        for (Lease lease : distinct) {
            if (extended.contains(LeaseId.of(lease))) {
                renewed.add(lease.renewedUntil(sent.plus(effective)));
            }
            else {
                lost.add(lease);
            }
        }
        return new LeaseRenewal(renewed, lost);
    }

    @Override
    public final boolean release(Lease lease) {
        Objects.requireNonNull(lease, "lease must not be null");
        return !releaseAll(List.of(lease)).isEmpty();
    }

    @Override
    public final List<Lease> releaseAll(Collection<Lease> leases) {
        List<Lease> distinct = distinct(leases);
        if (distinct.isEmpty()) {
            return List.of();
        }
        Set<LeaseId> held = ids(remove(distinct));
        return distinct.stream().filter((lease) -> held.contains(LeaseId.of(lease))).toList();
    }

    @Override
    public final Optional<LeaseHolder> holder(String resource) {
        return read(LeaseArguments.requireResource(resource));
    }

    @Override
    public final void raiseTokensAbove(String resource, FencingToken token) {
        LeaseArguments.requireResource(resource);
        Objects.requireNonNull(token, "token must not be null");
        raise(resource, token);
    }

    /**
     * Grants leases on up to {@code max} of the candidates that are free, atomically per resource, in one step
     * where the backend allows it. Each token must be greater than every token issued before for its resource.
     * @param resources the candidates, distinct, valid, in order of preference, not empty
     * @param max the most leases to grant, at least 1 and at most the number of candidates
     * @param owner the owner, valid
     * @param duration the duration, in whole milliseconds
     * @return the token of each resource granted
     */
    protected abstract Map<String, FencingToken> acquire(List<String> resources, int max, String owner,
            Duration duration);

    /**
     * Extends the leases whose token is the current one of an unexpired lease on their resource.
     * @param leases the leases, distinct by resource and token, not empty
     * @param duration the new duration, counted from when the backend extends them
     * @return the leases (from {@code leases}) that were extended
     */
    protected abstract Collection<Lease> extend(List<Lease> leases, Duration duration);

    /**
     * Removes the leases whose token is the current one of their resource, expired or not.
     * @param leases the leases, distinct by resource and token, not empty
     * @return the leases (from {@code leases}) that were unexpired until removed
     */
    protected abstract Collection<Lease> remove(List<Lease> leases);

    /**
     * Reads the unexpired lease on a resource.
     * @param resource the resource, valid
     * @return its holder, or empty when the resource is free
     */
    protected abstract Optional<LeaseHolder> read(String resource);

    /**
     * Makes every token issued from now on for the resource greater than {@code token}, never lowering the tokens.
     * By default the store cannot ({@link LeaseStore#raiseTokensAbove}).
     * @param resource the resource, valid
     * @param token the token to exceed
     * @throws UnsupportedOperationException when the store cannot raise its tokens (the default)
     */
    protected void raise(String resource, FencingToken token) {
        throw new UnsupportedOperationException(getClass().getName() + " cannot raise its fencing tokens above "
                + token + " for resource '" + resource + "': override AbstractLeaseStore.raise");
    }

    private static List<Lease> distinct(Collection<Lease> leases) {
        Objects.requireNonNull(leases, "leases must not be null");
        Map<LeaseId, Lease> byId = new LinkedHashMap<>();
        for (Lease lease : leases) {
            Objects.requireNonNull(lease, "leases must not contain null");
            byId.putIfAbsent(LeaseId.of(lease), lease);
        }
        return List.copyOf(byId.values());
    }

    private static Set<LeaseId> ids(Collection<Lease> leases) {
        Set<LeaseId> ids = new HashSet<>();
        leases.forEach((lease) -> ids.add(LeaseId.of(lease)));
        return ids;
    }

    /**
     * What tells leases apart: every renewal of a lease has the same resource and token.
     */
    private record LeaseId(String resource, FencingToken token) {

        static LeaseId of(Lease lease) {
            return new LeaseId(lease.resource(), lease.token());
        }
    }
}
