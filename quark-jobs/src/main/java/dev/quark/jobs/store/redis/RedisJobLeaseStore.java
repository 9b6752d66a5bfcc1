package dev.quark.jobs.store.redis;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

import dev.quark.jobs.JobId;
import dev.quark.jobs.store.JobLeases;
import dev.quark.lease.AbstractLeaseStore;
import dev.quark.lease.FencingToken;
import dev.quark.lease.Lease;
import dev.quark.lease.LeaseHolder;

import org.springframework.data.redis.core.StringRedisTemplate;
import org.springframework.data.redis.core.script.RedisScript;

/**
 * The leases of the jobs of a {@link RedisJobStore}, kept in the job hashes themselves: the fields
 * {@code lease_owner}, {@code lease_token} and {@code lease_expires_at} (milliseconds since the epoch on the Redis
 * server's clock). Its resources are the jobs' ({@link JobLeases#resource jobs:<id>}); a resource that names no stored
 * job is never granted and never held.
 * <p>
 * {@link RedisJobStore}'s claims grant these leases in the script that claims the jobs, and its writes of an outcome
 * free them; this store renews and releases them for the worker's {@code LeaseKeeper}, and lets tests and tools
 * acquire and read them. Its guarantees are those of {@link dev.quark.lease.LeaseStore} for those resources: the Redis
 * server's clock ({@code TIME}, read in each script) decides expiry, as a key expiry does in
 * {@code dev.quark.lease.redis.RedisLeaseStore}; a token is the hash's previous token plus one, so it grows for as long
 * as the job exists (a job's id is never reused). Every operation is one Lua script over all the leases it concerns,
 * on the keys of the store's hash tag, so one slot on Redis Cluster.
 */
public class RedisJobLeaseStore extends AbstractLeaseStore {

    private final StringRedisTemplate redis;

    private final String prefix;

    private final List<String> routing;

    RedisJobLeaseStore(StringRedisTemplate redis, String prefix, List<String> routing, Clock clock) {
        super(clock);
        this.redis = Objects.requireNonNull(redis, "redis must not be null");
        this.prefix = Objects.requireNonNull(prefix, "prefix must not be null");
        this.routing = Objects.requireNonNull(routing, "routing must not be null");
    }

    @Override
    protected Map<String, FencingToken> acquire(List<String> resources, int max, String owner, Duration duration) {
        List<String> named = new ArrayList<>(resources.size());
        List<String> arguments = new ArrayList<>(resources.size() + 4);
        arguments.add(this.prefix);
        arguments.add(owner);
        arguments.add(Long.toString(duration.toMillis()));
        arguments.add(Integer.toString(max));
        for (String resource : resources) {
            JobId id = JobLeases.jobIdOrNull(resource);
            if (id != null) {
                named.add(resource);
                arguments.add(id.toString());
            }
        }
        if (named.isEmpty()) {
            return Map.of();
        }
        List<Long> reply = numbers(execute(RedisJobScripts.LEASE_ACQUIRE, arguments));
        Map<String, FencingToken> granted = new LinkedHashMap<>();
        for (int i = 0; i + 1 < reply.size(); i += 2) {
            granted.put(named.get(Math.toIntExact(reply.get(i)) - 1), new FencingToken(reply.get(i + 1)));
        }
        return granted;
    }

    @Override
    protected Collection<Lease> extend(List<Lease> leases, Duration duration) {
        List<Lease> jobs = JobLeases.ofJobs(leases);
        if (jobs.isEmpty()) {
            return List.of();
        }
        List<String> arguments = new ArrayList<>(2 * jobs.size() + 2);
        arguments.add(this.prefix);
        arguments.add(Long.toString(duration.toMillis()));
        addPairs(arguments, jobs);
        return select(jobs, execute(RedisJobScripts.LEASE_EXTEND, arguments));
    }

    @Override
    protected Collection<Lease> remove(List<Lease> leases) {
        List<Lease> jobs = JobLeases.ofJobs(leases);
        if (jobs.isEmpty()) {
            return List.of();
        }
        List<String> arguments = new ArrayList<>(2 * jobs.size() + 1);
        arguments.add(this.prefix);
        addPairs(arguments, jobs);
        return select(jobs, execute(RedisJobScripts.LEASE_REMOVE, arguments));
    }

    @Override
    protected Optional<LeaseHolder> read(String resource) {
        JobId id = JobLeases.jobIdOrNull(resource);
        if (id == null) {
            return Optional.empty();
        }
        List<?> reply = execute(RedisJobScripts.LEASE_READ, List.of(this.prefix, id.toString()));
        if (reply.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new LeaseHolder(resource, String.valueOf(reply.get(0)),
                new FencingToken(((Number) reply.get(1)).longValue()),
                Duration.ofMillis(((Number) reply.get(2)).longValue())));
    }

    /**
     * Builds the lease a claim granted, valid until {@code sent} plus the duration on the caller's clock.
     */
    Lease granted(JobId id, String owner, long token, Instant sent, Duration duration) {
        return new Lease(JobLeases.resource(id), owner, new FencingToken(token), sent.plus(duration));
    }

    /**
     * Returns the caller's clock, read before a claim is sent.
     */
    Clock callerClock() {
        return clock();
    }

    @SuppressWarnings("rawtypes")
    private List<?> execute(RedisScript<List> script, List<String> arguments) {
        List<?> reply = this.redis.execute(script, this.routing, arguments.toArray());
        if (reply == null) {
            throw new IllegalStateException("Redis returned no reply to a job lease script");
        }
        return reply;
    }

    private static void addPairs(List<String> arguments, List<Lease> leases) {
        for (Lease lease : leases) {
            arguments.add(JobLeases.jobId(lease.resource()).toString());
            arguments.add(lease.token().toString());
        }
    }

    private static List<Lease> select(List<Lease> leases, List<?> indexes) {
        return numbers(indexes).stream().map((index) -> leases.get(Math.toIntExact(index) - 1)).toList();
    }

    private static List<Long> numbers(List<?> reply) {
        return reply.stream().map((value) -> ((Number) value).longValue()).toList();
    }

    @Override
    public String toString() {
        return "RedisJobLeaseStore[leases in the hashes " + this.prefix + "job:*]";
    }
}
