package dev.quark.messaging.store.redis;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.Consumer;

import org.jspecify.annotations.Nullable;
import org.springframework.data.redis.connection.RedisConnectionFactory;
import org.springframework.data.redis.core.StringRedisTemplate;
import org.springframework.data.redis.core.ZSetOperations;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

import dev.quark.lease.FencingToken;
import dev.quark.messaging.MessageId;
import dev.quark.messaging.store.MessageStatus;
import dev.quark.messaging.store.NewMessage;
import dev.quark.messaging.store.OutboxStoreArguments;
import dev.quark.messaging.store.StateAttachingOutboxStore;
import dev.quark.messaging.store.StoredMessage;
import dev.quark.state.StateWriteAttachment;

/**
 * Keeps outbox messages in Redis, every key under the hash tag {@code {outbox}} (one Redis Cluster slot):
 * <pre>
 * {prefix}{outbox}:seq                  string: the last sequence drawn (INCR)
 * {prefix}{outbox}:msg:{id}             hash: id, sequence, destination, key, partition, payload_type, payload,
 *                                       headers (JSON), created_at, status, attempts, retry_at, finished_at, last_error
 * {prefix}{outbox}:pending:{n}          sorted set: pending message id -&gt; sequence, of partition n
 * {prefix}{outbox}:keys:{n}             hash: pending message id -&gt; its key, of partition n
 * {prefix}{outbox}:retrying:{n}         sorted set: pending message id -&gt; retry time (ms), of partition n
 * {prefix}{outbox}:fences               hash: partition -&gt; the fencing token its owner stamped it with
 * {prefix}{outbox}:pending              sorted set: every pending message id -&gt; enqueue time (ms)
 * {prefix}{outbox}:delivered            sorted set: delivered message id -&gt; delivery time (ms)
 * {prefix}{outbox}:dead                 sorted set: dead letter id -&gt; time given up on (ms)
 * {prefix}{outbox}:dead-letters         sorted set: dead letter id -&gt; sequence
 * </pre>
 * for instance {@code quark:{outbox}:msg:0193…}. Every change is one Lua script over keys it is given, atomic: an
 * append draws the sequence and writes the message and its indexes in one step, so messages become visible to
 * dispatchers in sequence order; a state change checks the partition's fence ({@code RedisFencing}) and the
 * message's status in the same step. Instants are kept exactly in the hash; the sorted sets order by milliseconds,
 * a retry time rounded up so that a key never goes on before its retry is due, and
 * {@link #oldestPending()} is read from the index (milliseconds).
 * <p>
 * {@link #nextBatch} looks at no more than {@link #scanBudget(int)} of a partition's pending messages per call (at
 * least {@value #MIN_SCAN_BUDGET}, ten per message asked for), from the oldest: Redis runs scripts one at a time, and a
 * key backing off with a long queue behind it would otherwise make every poll walk the whole queue. A batch may so
 * come back short or empty while deliverable messages of other keys wait further back: they are found once the
 * blocked key's retry is due (or it is dead-lettered) and the messages ahead of them are delivered.
 * <p>
 * There is no transaction to join: {@link #append} writes at once, whatever transaction the caller runs in. To write
 * messages in the same atomic step as an actor's state kept in Redis, {@link #appendWithState} gives the
 * {@code RedisStateStore} the append to run in the save's script (the {@code StateOutbox}). On a Redis Cluster the
 * state lies in another slot than the outbox: the save's script stages the messages in the state's slot, and they are
 * moved to the outbox right after the save, or by the {@linkplain RedisOutboxStaging#sweep sweep} ({@link #staging()}).
 * Durability
 * is Redis's: turn persistence on (AOF, {@code appendfsync everysec} or stricter), or a restart of Redis loses the
 * messages.
 */
public class RedisOutboxStore implements StateAttachingOutboxStore {

    /** The fewest pending messages of a partition {@link #nextBatch} looks at for a batch. */
    public static final int MIN_SCAN_BUDGET = 2_000;

    private static final String TAG = "{outbox}:";

    private static final int DEAD_LETTER_PAGE = 500;

    private static final TypeReference<Map<String, String>> HEADERS = new TypeReference<>() {
    };

    private final RedisConnectionFactory connectionFactory;

    private final StringRedisTemplate redis;

    private final String prefix;

    private final JsonMapper json = JsonMapper.shared();

    private final RedisOutboxStaging staging;

    private final Consumer<String> afterStagedSave;

    /**
     * Creates a store.
     * @param connectionFactory the connection factory, usually the application's
     * @param keyPrefix put before every key, for instance {@code quark:}; may be empty
     */
    public RedisOutboxStore(RedisConnectionFactory connectionFactory, String keyPrefix) {
        this(connectionFactory, keyPrefix, null);
    }

    /**
     * Creates a store whose saves on a Redis Cluster run a step of the caller's after staging their messages, instead
     * of {@linkplain RedisOutboxStaging#move moving} them: a test stands in for a process that dies between a save
     * and its move with a step that does nothing, and for a failing move with one that throws. Not public: a test seam
     * only, reached from tests in this package.
     * @param connectionFactory the connection factory, usually the application's
     * @param keyPrefix put before every key, for instance {@code quark:}; may be empty
     * @param afterStagedSave given the tag of the staging area, after a save staged messages in it; {@code null} for
     * the move
     */
    RedisOutboxStore(RedisConnectionFactory connectionFactory, String keyPrefix,
            @Nullable Consumer<String> afterStagedSave) {
        Objects.requireNonNull(connectionFactory, "connectionFactory must not be null");
        Objects.requireNonNull(keyPrefix, "keyPrefix must not be null");
        this.connectionFactory = connectionFactory;
        this.prefix = keyPrefix + TAG;
        this.redis = new StringRedisTemplate(connectionFactory);
        this.staging = new RedisOutboxStaging(this.redis, keyPrefix, this.prefix);
        this.afterStagedSave = (afterStagedSave != null) ? afterStagedSave : this.staging::move;
    }

    /**
     * Returns the staging areas of messages saved with states on a Redis Cluster, for the sweep.
     * @return the staging areas
     */
    public RedisOutboxStaging staging() {
        return this.staging;
    }

    /**
     * Returns the key of a message's hash.
     * @param id the message
     * @return the key
     */
    public String messageKey(MessageId id) {
        return this.prefix + "msg:" + id;
    }

    /**
     * Returns the keys an append of messages touches, in the order of {@link RedisOutboxScripts#APPEND_FUNCTION}: none
     * for no messages, so that an empty attachment adds no key to a save's script (on a Redis Cluster, an
     * {@code {outbox}} key beside a state's or a stream's key is refused, {@code CROSSSLOT}).
     * @param messages the messages
     * @return the keys
     */
    List<String> appendKeys(List<NewMessage> messages) {
        if (messages.isEmpty()) {
            return List.of();
        }
        List<String> keys = new ArrayList<>(2 + RedisOutboxScripts.KEYS_PER_MESSAGE * messages.size());
        keys.add(this.prefix + "seq");
        keys.add(this.prefix + "pending");
        for (NewMessage message : messages) {
            keys.add(messageKey(message.id()));
            keys.add(partitionKey("pending:", message.partition()));
            keys.add(partitionKey("keys:", message.partition()));
        }
        return keys;
    }

    /**
     * Returns the arguments of an append of messages, in the order of {@link RedisOutboxScripts#APPEND_FUNCTION}.
     * @param messages the messages
     * @return the arguments
     */
    List<String> appendArguments(List<NewMessage> messages) {
        List<String> arguments = new ArrayList<>(RedisOutboxScripts.ARGUMENTS_PER_MESSAGE * messages.size());
        for (NewMessage message : messages) {
            arguments.add(message.id().toString());
            arguments.add(message.destination());
            arguments.add(message.key());
            arguments.add(Integer.toString(message.partition()));
            arguments.add(message.payloadType());
            arguments.add(message.payload());
            arguments.add(this.json.writeValueAsString(message.headers()));
            arguments.add(message.createdAt().toString());
            arguments.add(Long.toString(message.createdAt().toEpochMilli()));
        }
        return arguments;
    }

    @Override
    public void append(NewMessage message) {
        Objects.requireNonNull(message, "message must not be null");
        List<NewMessage> messages = List.of(message);
        String existing = this.redis.execute(RedisOutboxScripts.APPEND, appendKeys(messages),
                appendArguments(messages).toArray());
        if (existing != null && !existing.isEmpty()) {
            throw new IllegalArgumentException("Message " + existing + " was enqueued already");
        }
    }

    /**
     * Returns the append of messages as writes a {@code RedisStateStore} on the same connection factory makes in the
     * script of a state's save.
     */
    @Override
    public StateWriteAttachment appendWithState(List<NewMessage> messages) {
        List<NewMessage> appended = List.copyOf(messages);
        return new RedisOutboxAttachment(appendKeys(appended), appendArguments(appended), this.connectionFactory,
                appended.size(), this.staging, this.afterStagedSave);
    }

    @Override
    public Optional<StoredMessage> find(MessageId id) {
        List<StoredMessage> found = read(List.of(id.toString()));
        return found.isEmpty() ? Optional.empty() : Optional.of(found.getFirst());
    }

    @Override
    public boolean stamp(int partition, FencingToken token) {
        Long stamped = this.redis.execute(RedisOutboxScripts.STAMP, List.of(this.prefix + "fences"),
                Integer.toString(partition), token.toString());
        return stamped != null && stamped == 1;
    }

    @Override
    @SuppressWarnings("unchecked")
    public List<StoredMessage> nextBatch(int partition, Instant now, int limit) {
        if (limit <= 0) {
            return List.of();
        }
        List<Object> ids = this.redis.execute(RedisOutboxScripts.NEXT,
                List.of(partitionKey("pending:", partition), partitionKey("retrying:", partition),
                        partitionKey("keys:", partition)),
                Long.toString(now.toEpochMilli()), Integer.toString(limit), Integer.toString(scanBudget(limit)));
        return read((ids != null) ? ids.stream().map(String::valueOf).toList() : List.of());
    }

    /**
     * Returns how many pending messages of a partition {@link #nextBatch} looks at, at most, for a batch.
     * @param limit the most messages the batch returns
     * @return the scan budget: ten per message, at least {@value #MIN_SCAN_BUDGET}
     */
    public static int scanBudget(int limit) {
        return (int) Math.min(Integer.MAX_VALUE, Math.max(MIN_SCAN_BUDGET, limit * 10L));
    }

    @Override
    public boolean markDelivered(StoredMessage message, FencingToken token, Instant at) {
        return update(message, token, MessageStatus.DELIVERED, null, at, null);
    }

    @Override
    public boolean markRetry(StoredMessage message, FencingToken token, Instant retryAt, String error) {
        return update(message, token, MessageStatus.PENDING, retryAt, null, error);
    }

    @Override
    public boolean markDead(StoredMessage message, FencingToken token, Instant at, String error) {
        return update(message, token, MessageStatus.DEAD, null, at, error);
    }

    private boolean update(StoredMessage message, FencingToken token, MessageStatus status, @Nullable Instant retryAt,
            @Nullable Instant finishedAt, @Nullable String error) {
        int partition = message.partition();
        List<String> keys = List.of(this.prefix + "fences", messageKey(message.id()), partitionKey("pending:", partition),
                partitionKey("keys:", partition), partitionKey("retrying:", partition), this.prefix + "pending",
                this.prefix + "delivered", this.prefix + "dead", this.prefix + "dead-letters");
        Long written = this.redis.execute(RedisOutboxScripts.UPDATE, keys, Integer.toString(partition),
                token.toString(), status.name(), (retryAt != null) ? retryAt.toString() : "",
                (retryAt != null) ? Long.toString(millisRoundedUp(retryAt)) : "0",
                (finishedAt != null) ? finishedAt.toString() : "",
                (finishedAt != null) ? Long.toString(finishedAt.toEpochMilli()) : "0", (error != null) ? error : "",
                message.id().toString());
        return written != null && written == 1;
    }

    @Override
    public int deleteFinished(MessageStatus status, Instant finishedBefore, int limit) {
        String index = switch (status) {
            case DELIVERED -> this.prefix + "delivered";
            case DEAD -> this.prefix + "dead";
            case PENDING -> throw new IllegalArgumentException(
                    "Only finished messages (DELIVERED or DEAD) are deleted, not " + status);
        };
        if (limit <= 0) {
            return 0;
        }
        Set<String> ids = this.redis.opsForZSet()
            .rangeByScore(index, Double.NEGATIVE_INFINITY, (double) (finishedBefore.toEpochMilli() - 1), 0, limit);
        if (ids == null || ids.isEmpty()) {
            return 0;
        }
        List<String> keys = new ArrayList<>(ids.size() + 2);
        keys.add(index);
        keys.add(this.prefix + "dead-letters");
        ids.forEach((id) -> keys.add(this.prefix + "msg:" + id));
        Long deleted = this.redis.execute(RedisOutboxScripts.DELETE, keys, ids.toArray());
        return (deleted != null) ? deleted.intValue() : 0;
    }

    @Override
    public long count(MessageStatus status) {
        String index = switch (status) {
            case PENDING -> this.prefix + "pending";
            case DELIVERED -> this.prefix + "delivered";
            case DEAD -> this.prefix + "dead";
        };
        Long count = this.redis.opsForZSet().zCard(index);
        return (count != null) ? count : 0;
    }

    @Override
    public Optional<Instant> oldestPending() {
        Set<ZSetOperations.TypedTuple<String>> oldest = this.redis.opsForZSet()
            .rangeWithScores(this.prefix + "pending", 0, 0);
        if (oldest == null || oldest.isEmpty()) {
            return Optional.empty();
        }
        Double score = oldest.iterator().next().getScore();
        return Optional.ofNullable(score).map((millis) -> Instant.ofEpochMilli(millis.longValue()));
    }

    @Override
    public List<StoredMessage> deadLetters(int limit) {
        if (limit <= 0) {
            return List.of();
        }
        Set<String> ids = this.redis.opsForZSet().range(this.prefix + "dead-letters", 0, limit - 1);
        return read((ids != null) ? List.copyOf(ids) : List.of());
    }

    @Override
    public boolean requeue(MessageId id) {
        return find(id).filter((message) -> message.status() == MessageStatus.DEAD).map(this::requeue).orElse(false);
    }

    private boolean requeue(StoredMessage message) {
        int partition = message.partition();
        List<String> keys = List.of(messageKey(message.id()), this.prefix + "seq", partitionKey("pending:", partition),
                partitionKey("keys:", partition), this.prefix + "pending", this.prefix + "dead",
                this.prefix + "dead-letters");
        Long requeued = this.redis.execute(RedisOutboxScripts.REQUEUE, keys, Integer.toString(partition),
                message.id().toString(), Long.toString(message.createdAt().toEpochMilli()));
        return requeued != null && requeued == 1;
    }

    /**
     * Walks the dead letters through the sequence in sequence order, a page at a time, and requeues those of the
     * destination.
     */
    @Override
    public List<MessageId> requeueDead(String destination, long throughSequence, int limit) {
        OutboxStoreArguments.requeueDead(destination, limit);
        List<StoredMessage> matching = new ArrayList<>();
        for (long start = 0; matching.size() < limit; start += DEAD_LETTER_PAGE) {
            Set<String> ids = this.redis.opsForZSet()
                .rangeByScore(this.prefix + "dead-letters", Double.NEGATIVE_INFINITY, (double) throughSequence, start,
                        DEAD_LETTER_PAGE);
            if (ids == null || ids.isEmpty()) {
                break;
            }
            for (StoredMessage message : read(List.copyOf(ids))) {
                if (matching.size() < limit && message.destination().equals(destination)) {
                    matching.add(message);
                }
            }
        }
        return matching.stream().filter(this::requeue).map(StoredMessage::id).toList();
    }

    @Override
    public long lastSequence() {
        String last = this.redis.opsForValue().get(this.prefix + "seq");
        return (last != null) ? Long.parseLong(last) : 0;
    }

    private List<StoredMessage> read(List<String> ids) {
        if (ids.isEmpty()) {
            return List.of();
        }
        List<String> keys = ids.stream().map((id) -> this.prefix + "msg:" + id).toList();
        List<?> values = this.redis.execute(RedisOutboxScripts.READ, keys, RedisOutboxScripts.FIELDS.toArray());
        int width = RedisOutboxScripts.FIELDS.size();
        if (values == null || values.size() != width * ids.size()) {
            throw new IllegalStateException("Unexpected reply from Redis reading messages " + ids + ": " + values);
        }
        List<StoredMessage> messages = new ArrayList<>(ids.size());
        for (int i = 0; i < ids.size(); i++) {
            List<?> fields = values.subList(i * width, (i + 1) * width);
            if (fields.get(0) != null) {
                messages.add(message(keys.get(i), fields));
            }
        }
        return messages;
    }

    private StoredMessage message(String key, List<?> fields) {
        try {
            return new StoredMessage(Long.parseLong(text(fields, 1)), new MessageId(UUID.fromString(text(fields, 0))),
                    text(fields, 2), text(fields, 3), Integer.parseInt(text(fields, 4)), text(fields, 5),
                    text(fields, 6), this.json.readValue(text(fields, 7), HEADERS), Instant.parse(text(fields, 8)),
                    MessageStatus.valueOf(text(fields, 9)), Integer.parseInt(text(fields, 10)),
                    instant(fields.get(11)), instant(fields.get(12)), (String) fields.get(13));
        }
        catch (RuntimeException ex) {
            throw new IllegalStateException("Redis hash " + key + " is not a Quark outbox message: " + ex.getMessage(),
                    ex);
        }
    }

    private static String text(List<?> fields, int index) {
        Object value = fields.get(index);
        if (value == null) {
            throw new IllegalStateException("it lacks the field '" + RedisOutboxScripts.FIELDS.get(index) + "'");
        }
        return value.toString();
    }

    private static @Nullable Instant instant(@Nullable Object value) {
        return (value != null) ? Instant.parse(value.toString()) : null;
    }

    private String partitionKey(String kind, int partition) {
        return this.prefix + kind + partition;
    }

    @SuppressWarnings("JavaInstantGetSecondsGetNano") // only the part below the millisecond is wanted
    private static long millisRoundedUp(Instant instant) {
        long millis = instant.toEpochMilli();
        return (instant.getNano() % 1_000_000 != 0) ? millis + 1 : millis;
    }

    @Override
    public String toString() {
        return "RedisOutboxStore[keys " + this.prefix + "*]";
    }
}
