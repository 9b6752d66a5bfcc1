package dev.quark.durabletasks.store.redis;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.Set;
import java.util.TreeSet;

import dev.quark.durabletasks.FailureDetails;
import dev.quark.durabletasks.OrchestrationQuery;
import dev.quark.durabletasks.OrchestrationStatus;
import dev.quark.durabletasks.history.ExecutionStarted;
import dev.quark.durabletasks.history.HistoryEvent;
import dev.quark.durabletasks.history.ParentInstance;
import dev.quark.durabletasks.store.ActivityWorkItem;
import dev.quark.durabletasks.store.ChildInstance;
import dev.quark.durabletasks.store.DurableTaskResources;
import dev.quark.durabletasks.store.DurableTaskStore;
import dev.quark.durabletasks.store.HistoryConflictException;
import dev.quark.durabletasks.store.InstanceRecord;
import dev.quark.durabletasks.store.NewActivity;
import dev.quark.durabletasks.store.NewInstance;
import dev.quark.durabletasks.store.OrchestrationCommit;
import dev.quark.durabletasks.store.OrchestrationWorkItem;
import dev.quark.durabletasks.store.ReceivedMessage;
import dev.quark.durabletasks.store.StoreJson;
import dev.quark.durabletasks.store.TaskMessage;
import dev.quark.durabletasks.store.internal.LaterWorkNotices;
import dev.quark.lease.FencingToken;
import dev.quark.lease.LeaseLostException;
import org.jspecify.annotations.Nullable;

import org.springframework.data.domain.Range;
import org.springframework.data.redis.connection.Limit;
import org.springframework.data.redis.connection.RedisConnectionFactory;
import org.springframework.data.redis.core.StringRedisTemplate;
import org.springframework.data.redis.core.script.RedisScript;

/**
 * Keeps durable tasks in Redis, all under the hash tag {@code {durabletasks}} (one slot on Redis Cluster, not yet
 * tested against one):
 * <pre>
 * {prefix}{durabletasks}:i:{id}       hash: name, status, execution, history_length, input, output, failure, parent,
 *                                     created_at, updated_at, start_at, start_score, lease_token, custom_status
 * {prefix}{durabletasks}:h:{id}       list: the current execution's history, one event (JSON) per element
 * {prefix}{durabletasks}:m:{id}       sorted set: the instance's message ids (score = id)
 * {prefix}{durabletasks}:msg:{n}      hash: a message (instance, execution, type, event, visible_at)
 * {prefix}{durabletasks}:mq           sorted set of the message ids an instance can take, by visible time
 *                                     (microseconds; not before the instance's start)
 * {prefix}{durabletasks}:pq           sorted set of the message ids parked while their instance is suspended
 * {prefix}{durabletasks}:seq          the last message id
 * {prefix}{durabletasks}:a:{call}     hash: a queued activity call (instance, task, name, input, options, attempt,
 *                                     scheduled_at, visible_at, lease_token, heartbeat_details)
 * {prefix}{durabletasks}:aq           sorted set of activity calls by visible time (microseconds)
 * {prefix}{durabletasks}:ia:{id}      set: the instance's queued activity calls
 * {prefix}{durabletasks}:ids, :s:{status}
 *                                     sorted sets of instance ids (score 0, in id order), for pages and counts
 * </pre>
 * Every change is one Lua script ({@link RedisDurableTaskScripts}), atomic: a commit checks the token stamped on the
 * instance ({@code RedisFencing}'s {@code quark_fence_holds} on {@code lease_token}) and the history's length, then
 * appends, consumes, updates and queues in the same step. One hash tag for the whole area, not one per instance:
 * a commit also creates sub-orchestrations, tells other instances (a parent) and moves entries of the shared due
 * queues, which Redis can only do atomically within one slot.
 * <p>
 * Instants are kept exactly in the hashes; the due queues order by microseconds, a visible time rounded up, so that
 * nothing is handed out before it is visible. Durability is Redis's: durable tasks, like leases, need persistence
 * turned on (AOF, {@code appendfsync everysec} or stricter), or a restart of Redis loses them.
 * <p>
 * <b>Notifications.</b> A store created {@link #notifying() notifying} publishes a notice on {@link #channel()}, from
 * the script that writes it, when a write makes work due for any worker: an instance created to start now, a message
 * sent due now (an event raised, a termination), a step's commit that queued activity calls, started
 * sub-orchestrations or sent messages due now, an activity call retried at once. The notice is the store's
 * {@link #origin()}, so that the wake-ups of the node that wrote it ({@link RedisDurableTaskWakeUps}) skip it: its own
 * worker polls after its own writes anyway. Work that becomes visible later (an instance created to start later, a
 * commit whose messages are all for later, its timers, an activity call retried after a backoff) publishes
 * {@code origin dueEpochMillis} (the time rounded up to the millisecond), only when it is visible before the earliest
 * such notice the store published that is still ahead ({@link LaterWorkNotices}), so that the woken workers poll when
 * it comes due. An activity's completion publishes nothing: the worker that completed it polls at once itself.
 * Notices are hints (pub/sub is fire and forget): the workers' poll interval stays the safety net.
 */
public class RedisDurableTaskStore implements DurableTaskStore {

    private static final String TAG = "{durabletasks}:";

    /** The most messages one {@link #dueInstances} call looks at. */
    private static final int MAX_MESSAGES_SCANNED = 10_000;

    /** The most batches of ids one filtered {@link #list} call reads (10 million ids). */
    private static final int MAX_LIST_ROUNDS = 10_000;

    private final StringRedisTemplate redis;

    private final String keyPrefix;

    private final String prefix;

    private final List<String> routing;

    private final RedisConnectionFactory connectionFactory;

    private final String channel;

    /** The channel the scripts publish on: {@link #channel}, or '' when the store does not notify. */
    private final String published;

    private final String origin = UUID.randomUUID().toString();

    private final Clock clock;

    private final LaterWorkNotices laterNotices = new LaterWorkNotices();

    /**
     * Creates a store that does not notify other nodes.
     * @param connectionFactory the connection factory, usually the application's
     * @param keyPrefix put before every key, for instance {@code quark:}; may be empty
     */
    public RedisDurableTaskStore(RedisConnectionFactory connectionFactory, String keyPrefix) {
        this(connectionFactory, keyPrefix, false);
    }

    /**
     * Creates a store that may notify the workers of other nodes of new work.
     * @param connectionFactory the connection factory, usually the application's
     * @param keyPrefix put before every key, for instance {@code quark:}; may be empty
     * @param notifying whether writes that make work due publish a notice on {@link #channel()}, in the script that
     * writes them
     */
    public RedisDurableTaskStore(RedisConnectionFactory connectionFactory, String keyPrefix, boolean notifying) {
        this(connectionFactory, keyPrefix, notifying, Clock.systemUTC());
    }

    /**
     * Creates a store that may notify the workers of other nodes of new work, on the workers' clock.
     * @param connectionFactory the connection factory, usually the application's
     * @param keyPrefix put before every key, for instance {@code quark:}; may be empty
     * @param notifying whether writes that make work due publish a notice on {@link #channel()}, in the script that
     * writes them
     * @param clock tells a message sent or an activity call retried due now from one due later
     */
    public RedisDurableTaskStore(RedisConnectionFactory connectionFactory, String keyPrefix, boolean notifying,
            Clock clock) {
        this.connectionFactory = Objects.requireNonNull(connectionFactory, "connectionFactory must not be null");
        this.keyPrefix = Objects.requireNonNull(keyPrefix, "keyPrefix must not be null");
        this.clock = Objects.requireNonNull(clock, "clock must not be null");
        this.redis = new StringRedisTemplate(connectionFactory);
        this.prefix = keyPrefix + TAG;
        this.routing = List.of(this.prefix + "ids");
        this.channel = this.prefix + "work";
        this.published = notifying ? this.channel : "";
    }

    /**
     * Returns the connection factory, on which the store's notices are to be subscribed to.
     * @return the connection factory
     */
    public RedisConnectionFactory connectionFactory() {
        return this.connectionFactory;
    }

    /**
     * Returns the channel this store publishes its notices of new work on when it notifies:
     * {@code {prefix}{durabletasks}:work}, so that stores of different key prefixes do not hear each other.
     * @return the channel
     */
    public String channel() {
        return this.channel;
    }

    /**
     * Returns whether writes that make work due publish on {@link #channel()}.
     * @return whether the store notifies
     */
    public boolean notifying() {
        return !this.published.isEmpty();
    }

    /**
     * Returns what this store's notices start with: an id of this store object, random, so that the wake-ups of the
     * node that wrote them can skip them ({@link RedisDurableTaskWakeUps}).
     * @return the origin
     */
    public String origin() {
        return this.origin;
    }

    /** The notice of work due now. */
    private String dueNow() {
        return this.origin;
    }

    /** The notice of work visible later: the origin and the time, rounded up to the millisecond. */
    private String dueLater(Instant visibleAt) {
        long millis = visibleAt.toEpochMilli();
        if (visibleAt.getNano() % 1_000_000 != 0) {
            millis++;
        }
        return this.origin + " " + millis;
    }

    /**
     * Adds the channel and the notice of a write that makes work visible at a time, for the script to publish once
     * it wrote: a notice of work due now, or of work due later when no earlier notice is ahead ({@link
     * LaterWorkNotices}); '' and '' otherwise.
     * @return the notice of work due later, to remember once the script published it; {@code null} otherwise
     */
    private @Nullable Instant addNotice(List<String> arguments, @Nullable Instant visibleAt, Instant now) {
        if (!notifying() || visibleAt == null) {
            arguments.add("");
            arguments.add("");
            return null;
        }
        if (!visibleAt.isAfter(now)) {
            arguments.add(this.published);
            arguments.add(dueNow());
            return null;
        }
        if (this.laterNotices.wouldTell(visibleAt, now)) {
            arguments.add(this.published);
            arguments.add(dueLater(visibleAt));
            return visibleAt;
        }
        arguments.add("");
        arguments.add("");
        return null;
    }

    private void told(@Nullable Instant later, Instant now) {
        if (later != null) {
            this.laterNotices.told(later, now);
        }
    }

    /**
     * Returns the key of an instance's hash.
     * @param instanceId the instance
     * @return the key
     */
    public String instanceKey(String instanceId) {
        return this.prefix + "i:" + instanceId;
    }

    @Override
    public Optional<InstanceRecord> create(NewInstance instance) {
        List<String> arguments = new ArrayList<>();
        arguments.add(this.prefix);
        addInstance(arguments, instance);
        Instant later = addNotice(arguments, instance.startAt(), instance.createdAt());
        if (number(this.redis.execute(RedisDurableTaskScripts.CREATE, this.routing, arguments.toArray())) == 1) {
            // Only a created instance published: an id taken sent nothing, so it holds no notice back.
            told(later, instance.createdAt());
            return Optional.empty();
        }
        return Optional.of(instance(instance.instanceId()).orElseThrow(() -> new IllegalStateException(
                "Orchestration instance '" + instance.instanceId() + "' existed and vanished while being created")));
    }

    @Override
    public Optional<InstanceRecord> instance(String instanceId) {
        List<InstanceRecord> records = read(List.of(instanceId));
        return records.isEmpty() ? Optional.empty() : Optional.of(records.get(0));
    }

    @Override
    public List<HistoryEvent> history(String instanceId) {
        List<String> events = this.redis.opsForList().range(this.prefix + "h:" + instanceId, 0, -1);
        return (events != null) ? events.stream().map(StoreJson::readEvent).toList() : List.of();
    }

    @Override
    public List<InstanceRecord> list(OrchestrationQuery query) {
        List<String> indexes = new ArrayList<>();
        if (query.statuses().isEmpty()) {
            indexes.add(this.prefix + "ids");
        }
        else {
            query.statuses().forEach((status) -> indexes.add(this.prefix + "s:" + status.name()));
        }
        // The indexes order by id only: other filters are applied to the records read, page after page of ids.
        boolean filtered = query.name() != null || query.createdFrom() != null || query.createdTo() != null;
        int batch = filtered ? OrchestrationQuery.MAX_LIMIT : query.limit();
        List<InstanceRecord> found = new ArrayList<>();
        String after = query.afterInstanceId();
        for (int round = 0; round < MAX_LIST_ROUNDS; round++) {
            Range<String> range = (after != null) ? Range.rightUnbounded(Range.Bound.exclusive(after))
                    : Range.unbounded();
            TreeSet<String> ids = new TreeSet<>();
            for (String index : indexes) {
                Set<String> page = this.redis.opsForZSet().rangeByLex(index, range, Limit.limit().count(batch));
                if (page != null) {
                    ids.addAll(page);
                }
            }
            List<String> chosen = ids.stream().limit(batch).toList();
            for (InstanceRecord record : read(chosen)) {
                if (query.matches(record) && found.size() < query.limit()) {
                    found.add(record);
                }
            }
            if (chosen.size() < batch || found.size() >= query.limit()) {
                break;
            }
            after = chosen.get(chosen.size() - 1);
        }
        return found;
    }

    @Override
    public Map<OrchestrationStatus, Long> countByStatus() {
        OrchestrationStatus[] statuses = OrchestrationStatus.values();
        Object[] arguments = new Object[statuses.length + 1];
        arguments[0] = this.prefix;
        for (int i = 0; i < statuses.length; i++) {
            arguments[i + 1] = statuses[i].name();
        }
        List<?> reply = list(RedisDurableTaskScripts.COUNT, arguments);
        Map<OrchestrationStatus, Long> counts = new EnumMap<>(OrchestrationStatus.class);
        for (int i = 0; i < statuses.length; i++) {
            long count = number(reply.get(i));
            if (count > 0) {
                counts.put(statuses[i], count);
            }
        }
        return counts;
    }

    @Override
    public boolean send(TaskMessage message) {
        List<String> arguments = new ArrayList<>();
        arguments.add(this.prefix);
        addMessage(arguments, message);
        Instant now = this.clock.instant();
        Instant later = addNotice(arguments, message.visibleAt(), now);
        boolean sent = number(this.redis.execute(RedisDurableTaskScripts.SEND, this.routing, arguments.toArray())) == 1;
        if (sent) {
            told(later, now);
        }
        return sent;
    }

    @Override
    public boolean purge(String instanceId) {
        return number(this.redis.execute(RedisDurableTaskScripts.PURGE, this.routing, this.prefix, instanceId)) == 1;
    }

    @Override
    public List<String> dueInstances(Instant now, int limit) {
        return strings(list(RedisDurableTaskScripts.DUE_INSTANCES, this.prefix, Long.toString(nowScore(now)),
                Integer.toString(limit), Integer.toString(Math.max(MAX_MESSAGES_SCANNED, limit))));
    }

    @Override
    public Optional<OrchestrationWorkItem> claimInstance(String instanceId, FencingToken token, Instant now) {
        List<?> reply = list(RedisDurableTaskScripts.CLAIM_INSTANCE, this.prefix, instanceId, token.toString(),
                Long.toString(nowScore(now)));
        if (reply.isEmpty()) {
            return Optional.empty();
        }
        InstanceRecord record = record(instanceId, fields((List<?>) reply.get(0)));
        List<HistoryEvent> history = strings((List<?>) reply.get(1)).stream().map(StoreJson::readEvent).toList();
        List<String> flat = strings((List<?>) reply.get(2));
        List<ReceivedMessage> messages = new ArrayList<>(flat.size() / 4);
        for (int i = 0; i + 3 < flat.size(); i += 4) {
            messages.add(new ReceivedMessage(Long.parseLong(flat.get(i)), new TaskMessage(instanceId,
                    Integer.parseInt(flat.get(i + 1)), StoreJson.readEvent(flat.get(i + 2)),
                    Instant.parse(flat.get(i + 3)))));
        }
        return Optional.of(new OrchestrationWorkItem(record, token, history, messages));
    }

    @Override
    public void commit(OrchestrationCommit commit) {
        List<String> arguments = new ArrayList<>();
        arguments.add(this.prefix);
        arguments.add(commit.instanceId());
        arguments.add(commit.token().toString());
        arguments.add(Integer.toString(commit.expectedHistoryLength()));
        arguments.add(commit.status().name());
        arguments.add(optional(commit.output()));
        FailureDetails failure = commit.failure();
        arguments.add(optional((failure != null) ? StoreJson.write(failure) : null));
        arguments.add(commit.continueAsNew() ? "1" : "0");
        arguments.add(optional(commit.nextInput()));
        arguments.add(commit.updatedAt().toString());
        arguments.add(optional(commit.customStatus()));
        arguments.add(optional(commit.startedVersion().isPresent()
                ? Integer.toString(commit.startedVersion().getAsInt()) : null));
        arguments.add(Integer.toString(commit.events().size()));
        commit.events().forEach((event) -> arguments.add(StoreJson.write(event)));
        arguments.add(Integer.toString(commit.consumedMessages().size()));
        commit.consumedMessages().forEach((id) -> arguments.add(Long.toString(id)));
        arguments.add(Integer.toString(commit.messages().size()));
        commit.messages().forEach((message) -> addMessage(arguments, message));
        arguments.add(Integer.toString(commit.children().size()));
        for (ChildInstance child : commit.children()) {
            addInstance(arguments, child.instance());
            addMessage(arguments, child.ifExists());
        }
        arguments.add(Integer.toString(commit.activities().size()));
        for (NewActivity activity : commit.activities()) {
            arguments.add(activity.id());
            arguments.add(activity.instanceId());
            arguments.add(Integer.toString(activity.execution()));
            arguments.add(Integer.toString(activity.taskId()));
            arguments.add(activity.name());
            arguments.add(optional(activity.input()));
            arguments.add(StoreJson.write(activity.options()));
            arguments.add(activity.scheduledAt().toString());
            arguments.add(Long.toString(visibleScore(activity.scheduledAt())));
        }
        Instant later = addNotice(arguments, visibleAt(commit), commit.updatedAt());
        String result = this.redis.execute(RedisDurableTaskScripts.COMMIT, this.routing, arguments.toArray());
        if ("OK".equals(result)) {
            told(later, commit.updatedAt());
            return;
        }
        if ("GONE".equals(result)) {
            throw new HistoryConflictException(commit.instanceId(), commit.expectedHistoryLength(), -1);
        }
        if ("LEASE".equals(result)) {
            throw new LeaseLostException(DurableTaskResources.instance(commit.instanceId()), commit.token(), null);
        }
        if (result != null && result.startsWith("CONFLICT:")) {
            throw new HistoryConflictException(commit.instanceId(), commit.expectedHistoryLength(),
                    Integer.parseInt(result.substring("CONFLICT:".length())));
        }
        throw new IllegalStateException("Redis answered a durable-task commit with " + result);
    }

    /**
     * Returns when the work a commit queues for any worker becomes visible: at once with activity calls, children or
     * messages due now; else at its earliest message (its timers), if any.
     */
    private static @Nullable Instant visibleAt(OrchestrationCommit commit) {
        if (!commit.activities().isEmpty() || !commit.children().isEmpty()) {
            return commit.updatedAt();
        }
        Instant earliest = null;
        for (TaskMessage message : commit.messages()) {
            if (earliest == null || message.visibleAt().isBefore(earliest)) {
                earliest = message.visibleAt();
            }
        }
        return earliest;
    }

    @Override
    public List<String> dueActivities(Instant now, int limit) {
        return strings(list(RedisDurableTaskScripts.DUE_ACTIVITIES, this.prefix, Long.toString(nowScore(now)),
                Integer.toString(limit)));
    }

    @Override
    public Optional<Instant> nextVisibleAfter(Instant now) {
        Long score = this.redis.execute(RedisDurableTaskScripts.NEXT_VISIBLE, this.routing, this.prefix,
                Long.toString(nowScore(now)));
        return (score != null) ? Optional.of(Instant.EPOCH.plus(score, java.time.temporal.ChronoUnit.MICROS))
                : Optional.empty();
    }

    @Override
    public Optional<ActivityWorkItem> claimActivity(String activityId, FencingToken token, Instant now) {
        List<?> reply = list(RedisDurableTaskScripts.CLAIM_ACTIVITY, this.prefix, activityId, token.toString(),
                Long.toString(nowScore(now)));
        if (reply.isEmpty()) {
            return Optional.empty();
        }
        Map<String, String> fields = fields(reply);
        String what = "activity call " + activityId;
        return Optional.of(new ActivityWorkItem(activityId, token, required(fields, "instance", what),
                Integer.parseInt(required(fields, "execution", what)), Integer.parseInt(required(fields, "task", what)),
                required(fields, "name", what), fields.get("input"), StoreJson.readOptions(required(fields, "options", what)),
                Integer.parseInt(required(fields, "attempt", what)),
                Instant.parse(required(fields, "scheduled_at", what)), fields.get("heartbeat_details")));
    }

    @Override
    public boolean completeActivity(String activityId, FencingToken token, TaskMessage outcome) {
        List<String> arguments = new ArrayList<>();
        arguments.add(this.prefix);
        arguments.add(activityId);
        arguments.add(token.toString());
        addMessage(arguments, outcome);
        return number(this.redis.execute(RedisDurableTaskScripts.COMPLETE_ACTIVITY, this.routing,
                arguments.toArray())) == 1;
    }

    @Override
    public boolean retryActivity(String activityId, FencingToken token, int nextAttempt, Instant visibleAt) {
        List<String> arguments = new ArrayList<>(List.of(this.prefix, activityId, token.toString(),
                Integer.toString(nextAttempt), visibleAt.toString(), Long.toString(visibleScore(visibleAt))));
        Instant now = this.clock.instant();
        Instant later = addNotice(arguments, visibleAt, now);
        boolean retried = number(this.redis.execute(RedisDurableTaskScripts.RETRY_ACTIVITY, this.routing,
                arguments.toArray())) == 1;
        if (retried) {
            told(later, now);
        }
        return retried;
    }

    @Override
    public boolean recordHeartbeat(String activityId, FencingToken token, String details) {
        return number(this.redis.execute(RedisDurableTaskScripts.RECORD_HEARTBEAT, this.routing, this.prefix,
                activityId, token.toString(), details)) == 1;
    }

    private List<InstanceRecord> read(List<String> ids) {
        if (ids.isEmpty()) {
            return List.of();
        }
        Object[] arguments = new Object[ids.size() + 1];
        arguments[0] = this.prefix;
        for (int i = 0; i < ids.size(); i++) {
            arguments[i + 1] = ids.get(i);
        }
        List<?> reply = list(RedisDurableTaskScripts.READ, arguments);
        List<InstanceRecord> records = new ArrayList<>(ids.size());
        for (int i = 0; i < reply.size(); i++) {
            List<?> hash = (List<?>) reply.get(i);
            if (!hash.isEmpty()) {
                records.add(record(ids.get(i), fields(hash)));
            }
        }
        return records;
    }

    private static InstanceRecord record(String instanceId, Map<String, String> fields) {
        String what = "orchestration instance '" + instanceId + "'";
        String failure = fields.get("failure");
        String parentId = fields.get("parent_id");
        String version = fields.get("version");
        ParentInstance parent = (parentId != null) ? new ParentInstance(parentId,
                Integer.parseInt(required(fields, "parent_execution", what)),
                Integer.parseInt(required(fields, "parent_task", what))) : null;
        return new InstanceRecord(instanceId, required(fields, "name", what),
                OrchestrationStatus.valueOf(required(fields, "status", what)),
                Integer.parseInt(required(fields, "execution", what)),
                Integer.parseInt(required(fields, "history_length", what)), fields.get("input"), fields.get("output"),
                (failure != null) ? StoreJson.readFailure(failure) : null, parent,
                Instant.parse(required(fields, "created_at", what)), Instant.parse(required(fields, "updated_at", what)),
                Instant.parse(required(fields, "start_at", what)), fields.get("custom_status"),
                (version != null) ? Integer.parseInt(version) : 0);
    }

    private static void addInstance(List<String> arguments, NewInstance instance) {
        ParentInstance parent = instance.parent();
        arguments.add(instance.instanceId());
        arguments.add(instance.name());
        arguments.add(optional(instance.input()));
        arguments.add(optional((parent != null) ? parent.instanceId() : null));
        arguments.add((parent != null) ? Integer.toString(parent.execution()) : "");
        arguments.add((parent != null) ? Integer.toString(parent.taskId()) : "");
        arguments.add(instance.createdAt().toString());
        arguments.add(instance.startAt().toString());
        arguments.add(Long.toString(visibleScore(instance.startAt())));
        arguments.add(StoreJson.write(
                new ExecutionStarted(instance.createdAt(), instance.name(), instance.input(), parent, instance.version())));
        arguments.add(Integer.toString(instance.version()));
    }

    private static void addMessage(List<String> arguments, TaskMessage message) {
        arguments.add(message.instanceId());
        arguments.add(Integer.toString(message.execution()));
        arguments.add(StoreJson.type(message.event()));
        arguments.add(StoreJson.write(message.event()));
        arguments.add(message.visibleAt().toString());
        arguments.add(Long.toString(visibleScore(message.visibleAt())));
    }

    private static String optional(@Nullable String value) {
        return (value != null) ? "=" + value : "";
    }

    private static Map<String, String> fields(List<?> hash) {
        Map<String, String> fields = new HashMap<>();
        for (int i = 0; i + 1 < hash.size(); i += 2) {
            fields.put(String.valueOf(hash.get(i)), String.valueOf(hash.get(i + 1)));
        }
        return fields;
    }

    private static String required(Map<String, String> fields, String field, String what) {
        String value = fields.get(field);
        if (value == null) {
            throw new IllegalStateException("The Redis hash of " + what + " has no field '" + field + "'");
        }
        return value;
    }

    private static List<String> strings(List<?> values) {
        return values.stream().map(String::valueOf).toList();
    }

    /**
     * Returns the score of a visible time: its microseconds, rounded up, so that nothing is handed out early.
     */
    static long visibleScore(Instant instant) {
        long micros = nowScore(instant);
        return (instant.getNano() % 1_000 == 0) ? micros : micros + 1;
    }

    /**
     * Returns the score of the caller's clock: its microseconds, rounded down.
     */
    static long nowScore(Instant instant) {
        return Math.addExact(Math.multiplyExact(instant.getEpochSecond(), 1_000_000L), instant.getNano() / 1_000);
    }

    @SuppressWarnings("rawtypes")
    private List<?> list(RedisScript<List> script, Object... arguments) {
        List<?> reply = this.redis.execute(script, this.routing, arguments);
        if (reply == null) {
            throw new IllegalStateException("Redis returned no reply to a durable-task script");
        }
        return reply;
    }

    private static long number(@Nullable Object value) {
        if (value instanceof Number number) {
            return number.longValue();
        }
        throw new IllegalStateException("Expected a number from Redis, got " + value);
    }

    @Override
    public String toString() {
        return "RedisDurableTaskStore[keys " + this.keyPrefix + TAG + "*"
                + (notifying() ? ", notifying " + this.channel : "") + "]";
    }
}
