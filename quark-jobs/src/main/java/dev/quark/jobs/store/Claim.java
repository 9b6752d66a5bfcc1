package dev.quark.jobs.store;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

import dev.quark.jobs.JobId;

/**
 * What a worker asks a store for when it claims jobs: up to {@code max} jobs, only of the types it has room for,
 * each type within its own room.
 *
 * @param owner the worker, the owner of the leases
 * @param max the most jobs to claim, at least 1
 * @param room how many jobs of each type the worker can take, by type; types not in it are not claimed
 * @param excluded jobs not to claim (those the worker runs already)
 * @param now the worker's clock: waiting jobs due at or before it are claimable
 */
public record Claim(String owner, int max, Map<String, Integer> room, Set<JobId> excluded, Instant now) {

    /**
     * How many candidates a store looks at, at most: when some types have less room than {@code max}, and when it
     * looks for abandoned jobs.
     */
    public static final int MAX_CANDIDATES = 1000;

    /**
     * Validates the claim.
     */
    public Claim {
        Objects.requireNonNull(owner, "owner must not be null");
        Objects.requireNonNull(now, "now must not be null");
        if (max < 1) {
            throw new IllegalArgumentException("A claim is for at least one job, was " + max);
        }
        room = Map.copyOf(room);
        excluded = Set.copyOf(excluded);
    }

    /**
     * Returns the types the worker has room for.
     * @return the types
     */
    public Set<String> types() {
        return this.room.keySet();
    }

    /**
     * Returns how many candidates a store should look at: {@code max} when every type has that much room, more
     * when some have less, so that a type at its limit at the head of the queue does not hide the others.
     * @return the number of candidates
     */
    public int candidates() {
        boolean limited = this.room.values().stream().anyMatch((n) -> n < this.max);
        return limited ? Math.min(MAX_CANDIDATES, this.max * 4) : this.max;
    }

    /**
     * Chooses among candidates, in their order, those the worker has room for.
     * @param candidates the candidates, in order of preference
     * @return the chosen ones, at most {@code max}
     */
    public List<ClaimCandidate> choose(List<ClaimCandidate> candidates) {
        Map<String, Integer> left = new HashMap<>(this.room);
        List<ClaimCandidate> chosen = new ArrayList<>();
        for (ClaimCandidate candidate : candidates) {
            if (chosen.size() == this.max) {
                break;
            }
            Integer room = left.get(candidate.type());
            if (room != null && room > 0 && !this.excluded.contains(candidate.id())) {
                left.put(candidate.type(), room - 1);
                chosen.add(candidate);
            }
        }
        return chosen;
    }
}
