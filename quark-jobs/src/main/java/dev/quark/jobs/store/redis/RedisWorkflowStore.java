package dev.quark.jobs.store.redis;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

import dev.quark.jobs.WorkflowId;
import dev.quark.jobs.WorkflowStatus;
import dev.quark.jobs.store.StoredWorkflow;
import dev.quark.jobs.store.WorkflowStore;
import org.jspecify.annotations.Nullable;

import org.springframework.data.domain.Range;
import org.springframework.data.redis.connection.Limit;
import org.springframework.data.redis.connection.RedisConnectionFactory;
import org.springframework.data.redis.core.StringRedisTemplate;
import org.springframework.data.redis.core.script.RedisScript;

/**
 * Keeps workflows in Redis, beside the jobs under the hash tag {@code {jobs}}:
 * <pre>
 * {prefix}{jobs}:workflow:{id}       hash: name, status, active, version, document, created_at, updated_at
 * {prefix}{jobs}:workflows-active    sorted set of the ids of the workflows that still need advancing (score 0)
 * </pre>
 * A create and an update are each one Lua script; an update replaces the hash only when {@code version} is still
 * the expected one.
 */
public class RedisWorkflowStore implements WorkflowStore {

    private static final RedisScript<Long> CREATE = RedisScript.of("""
            local p, id = ARGV[1], ARGV[2]
            local key = p .. 'workflow:' .. id
            if redis.call('EXISTS', key) == 1 then
                return 0
            end
            redis.call('HSET', key, 'name', ARGV[3], 'status', ARGV[4], 'active', ARGV[5], 'version', 1,
                'document', ARGV[6], 'created_at', ARGV[7], 'updated_at', ARGV[8])
            if ARGV[5] == '1' then
                redis.call('ZADD', p .. 'workflows-active', 0, id)
            end
            return 1
            """, Long.class);

    private static final RedisScript<Long> UPDATE = RedisScript.of("""
            local p, id = ARGV[1], ARGV[2]
            local key = p .. 'workflow:' .. id
            local version = redis.call('HGET', key, 'version')
            if not version or version ~= ARGV[3] then
                return 0
            end
            redis.call('HSET', key, 'status', ARGV[4], 'active', ARGV[5], 'version', tonumber(version) + 1,
                'document', ARGV[6], 'updated_at', ARGV[7])
            if ARGV[5] == '1' then
                redis.call('ZADD', p .. 'workflows-active', 0, id)
            else
                redis.call('ZREM', p .. 'workflows-active', id)
            end
            return 1
            """, Long.class);

    private final StringRedisTemplate redis;

    private final String prefix;

    private final List<String> routing;

    /**
     * Creates a store.
     * @param connectionFactory the connection factory, usually the application's
     * @param keyPrefix put before every key, for instance {@code quark:}; may be empty
     */
    public RedisWorkflowStore(RedisConnectionFactory connectionFactory, String keyPrefix) {
        Objects.requireNonNull(connectionFactory, "connectionFactory must not be null");
        Objects.requireNonNull(keyPrefix, "keyPrefix must not be null");
        this.redis = new StringRedisTemplate(connectionFactory);
        this.prefix = keyPrefix + "{jobs}:";
        this.routing = List.of(this.prefix + "workflows-active");
    }

    @Override
    public void create(StoredWorkflow workflow) {
        Objects.requireNonNull(workflow, "workflow must not be null");
        Long created = this.redis.execute(CREATE, this.routing, this.prefix, workflow.id().toString(), workflow.name(),
                workflow.status().name(), flag(workflow.active()), workflow.document(), workflow.createdAt().toString(),
                workflow.updatedAt().toString());
        if (created == null || created != 1) {
            throw new IllegalStateException("A workflow with id " + workflow.id() + " exists");
        }
    }

    @Override
    public Optional<StoredWorkflow> find(WorkflowId id) {
        Objects.requireNonNull(id, "id must not be null");
        Map<Object, Object> hash = this.redis.opsForHash().entries(this.prefix + "workflow:" + id);
        if (hash.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new StoredWorkflow(id, field(hash, "name"), WorkflowStatus.valueOf(field(hash, "status")),
                "1".equals(field(hash, "active")), Long.parseLong(field(hash, "version")), field(hash, "document"),
                Instant.parse(field(hash, "created_at")), Instant.parse(field(hash, "updated_at"))));
    }

    @Override
    public boolean update(StoredWorkflow workflow, long expectedVersion) {
        Objects.requireNonNull(workflow, "workflow must not be null");
        Long updated = this.redis.execute(UPDATE, this.routing, this.prefix, workflow.id().toString(),
                Long.toString(expectedVersion), workflow.status().name(), flag(workflow.active()), workflow.document(),
                workflow.updatedAt().toString());
        return updated != null && updated == 1;
    }

    @Override
    public List<WorkflowId> active(@Nullable WorkflowId after, int limit) {
        if (limit < 1) {
            throw new IllegalArgumentException("limit must be positive, was " + limit);
        }
        Range<String> range = (after != null) ? Range.rightUnbounded(Range.Bound.exclusive(after.toString()))
                : Range.unbounded();
        Set<String> ids = this.redis.opsForZSet()
            .rangeByLex(this.prefix + "workflows-active", range, Limit.limit().count(limit));
        List<WorkflowId> result = new ArrayList<>();
        if (ids != null) {
            ids.forEach((id) -> result.add(WorkflowId.parse(id)));
        }
        return result;
    }

    private static String flag(boolean value) {
        return value ? "1" : "0";
    }

    private static String field(Map<Object, Object> hash, String name) {
        Object value = hash.get(name);
        if (value == null) {
            throw new IllegalStateException("A workflow's hash has no field '" + name + "'");
        }
        return value.toString();
    }

    @Override
    public String toString() {
        return "RedisWorkflowStore[" + this.prefix + "]";
    }
}
