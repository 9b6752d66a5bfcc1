package dev.quark.messaging.store.redis;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Supplier;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.data.redis.core.StringRedisTemplate;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

/**
 * The outbox's staging areas on a Redis Cluster, where a state's save (or an event append) cannot append its messages
 * to the {@code {outbox}} slot in its own script: the script stages them in the state's slot instead, and they are
 * moved to the outbox right after the save, or by {@link #sweep} when that move failed or its process died. One
 * staging area per hash slot, under the slot's hash tag ({@code RedisSlotTags}):
 * <pre>
 * {prefix}{&lt;tag&gt;}:outbox-staged         hash: message id -&gt; its append arguments (JSON array)
 * {prefix}{&lt;tag&gt;}:outbox-staged-order   sorted set: message id -&gt; staging sequence
 * {prefix}{&lt;tag&gt;}:outbox-staged-seq     string: the last staging sequence drawn (INCR)
 * {prefix}{&lt;tag&gt;}:outbox-staged-moved   sorted set: moved message id -&gt; when moved (ms), kept for the re-check
 * {prefix}{outbox}:staged                sorted set: tag of an area that may hold messages -&gt; when last recorded (ms)
 * {prefix}{outbox}:staged-movers         hash: tag -&gt; the token of the area's latest mover
 * </pre>
 * <b>Index before write.</b> A save records its area's tag in {@code staged} (at Redis's time) before its script runs,
 * so every area that may hold messages is in the index, whether the save then succeeds, is refused or its process
 * dies. <b>Move.</b> A mover draws a token for the area ({@code HINCRBY}), reads up to {@value #MOVE_BATCH} staged
 * messages in staging order, appends them to the outbox in one {@code {outbox}} script, in that order, skipping
 * those already there, if its token is still the area's latest, and then marks them moved. A mover that
 * finds a later token stops: that mover read the area after this one's token, so it moves everything this one read.
 * So two movers at once (a save's and the sweeper) append each message once and one area's messages in staging order.
 * <b>Sweep.</b> {@link #sweep} moves every indexed area; moves again the messages moved at least a grace period ago,
 * which appends those the outbox lost since (a failover of its master before it replicated them: the area's master
 * still has them) and forgets them; and removes from the index an area it found empty when its entry is older than
 * the grace period, checked by Redis's clock in the {@code {outbox}} script that removes it.
 */
public final class RedisOutboxStaging {

    /** The most messages one move's {@code {outbox}} script appends. */
    static final int MOVE_BATCH = 100;

    /** The most batches one call of {@link #move} moves, so that a busy area does not hold a sweep up for long. */
    private static final int MAX_BATCHES = 100;

    private static final Logger logger = LoggerFactory.getLogger(RedisOutboxStaging.class);

    private static final TypeReference<List<String>> ARGUMENTS = new TypeReference<>() {
    };

    private final StringRedisTemplate redis;

    private final String keyPrefix;

    private final String outboxPrefix;

    private final JsonMapper json = JsonMapper.shared();

    RedisOutboxStaging(StringRedisTemplate redis, String keyPrefix, String outboxPrefix) {
        this.redis = redis;
        this.keyPrefix = keyPrefix;
        this.outboxPrefix = outboxPrefix;
    }

    /**
     * Returns the keys of a staging area, the first three in the order of {@link RedisOutboxScripts#STAGE}.
     * @param tag the area's hash tag
     * @return the staged hash, the staged order, the staging sequence and the moved set
     */
    List<String> areaKeys(String tag) {
        String area = this.keyPrefix + "{" + tag + "}:outbox-staged";
        return List.of(area, area + "-order", area + "-seq", area + "-moved");
    }

    /**
     * Returns the arguments that stage messages, in the order of {@link RedisOutboxScripts#STAGE}.
     * @param appendArguments the arguments of the messages' append, {@link RedisOutboxScripts#ARGUMENTS_PER_MESSAGE}
     * per message
     * @return per message its id and its append arguments as a JSON array
     */
    List<String> stageArguments(List<String> appendArguments) {
        int width = RedisOutboxScripts.ARGUMENTS_PER_MESSAGE;
        List<String> arguments = new ArrayList<>(2 * appendArguments.size() / width);
        for (int i = 0; i < appendArguments.size(); i += width) {
            arguments.add(appendArguments.get(i));
            arguments.add(this.json.writeValueAsString(appendArguments.subList(i, i + width)));
        }
        return arguments;
    }

    /**
     * Records a staging area in the index, before a save stages messages in it.
     * @param tag the area's hash tag
     */
    void index(String tag) {
        this.redis.execute(RedisOutboxScripts.INDEX, List.of(indexKey()), tag);
    }

    /**
     * Moves a staging area's messages to the outbox, in staging order, each once.
     * @param tag the area's hash tag, the tag of the hash slot of the states whose messages it holds
     * @return how many messages this call appended to the outbox (those a concurrent mover appended are not counted)
     */
    public int move(String tag) {
        List<String> area = areaKeys(tag);
        return moveBatches(tag, true, () -> this.redis.execute(RedisOutboxScripts.READ_STAGED, List.of(area.get(0),
                area.get(1)), Integer.toString(MOVE_BATCH)),
                (ids) -> this.redis.execute(RedisOutboxScripts.MARK_MOVED, List.of(area.get(1), area.get(3)),
                        ids.toArray()));
    }

    /**
     * Moves again the messages of a staging area that were moved at least a settle period ago, appending those
     * missing from the outbox (lost by a failover of the outbox's master, say), and forgets them.
     * @param tag the area's hash tag
     * @param settle how long ago they were moved, at least
     * @return how many were missing and were appended again
     */
    int settle(String tag, Duration settle) {
        List<String> area = areaKeys(tag);
        return moveBatches(tag, false, () -> this.redis.execute(RedisOutboxScripts.READ_SETTLED, List.of(area.get(0),
                area.get(3)), Long.toString(settle.toMillis()), Integer.toString(MOVE_BATCH)),
                (ids) -> this.redis.execute(RedisOutboxScripts.FORGET, List.of(area.get(0), area.get(3)),
                        ids.toArray()));
    }

    /**
     * Moves batches read from an area, until a batch is short, another mover holds a later token, or
     * {@value #MAX_BATCHES} batches were moved. A fenced move draws a fresh token for each batch; the re-check of
     * moved messages goes unfenced, so that saves moving all the time in its slot do not starve it: what it appends
     * was lost from the outbox, and the outbox script appends each id once however many append it at once.
     */
    private int moveBatches(String tag, boolean fenced, Supplier<@Nullable List<?>> read,
            Consumer<List<String>> moved) {
        int appended = 0;
        for (int batch = 0; batch < MAX_BATCHES; batch++) {
            String token = fenced ? Long.toString(this.redis.opsForHash().increment(moversKey(), tag, 1)) : "";
            List<?> staged = read.get();
            if (staged == null || staged.isEmpty()) {
                return appended;
            }
            List<String> ids = new ArrayList<>(staged.size() / 2);
            List<String> keys = new ArrayList<>(3 + staged.size() / 2 * RedisOutboxScripts.KEYS_PER_MESSAGE);
            List<String> arguments = new ArrayList<>(2 + staged.size() / 2 * RedisOutboxScripts.ARGUMENTS_PER_MESSAGE);
            keys.addAll(List.of(moversKey(), this.outboxPrefix + "seq", this.outboxPrefix + "pending"));
            arguments.addAll(List.of(tag, token));
            for (int i = 0; i < staged.size(); i += 2) {
                String id = staged.get(i).toString();
                List<String> append = this.json.readValue(staged.get(i + 1).toString(), ARGUMENTS);
                ids.add(id);
                keys.add(this.outboxPrefix + "msg:" + id);
                keys.add(this.outboxPrefix + "pending:" + append.get(3));
                keys.add(this.outboxPrefix + "keys:" + append.get(3));
                arguments.addAll(append);
            }
            Long count = this.redis.execute(RedisOutboxScripts.MOVE, keys, arguments.toArray());
            if (count == null || count < 0) {
                return appended;
            }
            moved.accept(ids);
            appended += count.intValue();
            if (ids.size() < MOVE_BATCH) {
                return appended;
            }
        }
        return appended;
    }

    /**
     * Returns how many messages of a staging area wait to be moved.
     * @param tag the area's hash tag
     * @return how many
     */
    public long staged(String tag) {
        return count(areaKeys(tag).get(1));
    }

    /**
     * Returns how many messages of a staging area were moved and are kept to be re-checked.
     * @param tag the area's hash tag
     * @return how many
     */
    public long moved(String tag) {
        return count(areaKeys(tag).get(3));
    }

    private long count(String key) {
        Long count = this.redis.opsForZSet().zCard(key);
        return (count != null) ? count : 0;
    }

    /**
     * Moves every indexed staging area's messages to the outbox, moves again those moved at least the grace period
     * ago (appending the ones missing from the outbox) and forgets them, and removes from the index the areas found
     * empty whose entries are older than the grace period. A save records its area again before each staging, so an entry
     * is removed only when no save recorded it for the grace period, and the area was empty after that: a save whose
     * staging script runs more than the grace period (less the time between this sweep's emptiness check and its
     * removal) after it recorded its area can lose the area's entry; its messages are then moved by its own mover or
     * by the next save in the same slot. A failure of one area is logged, and the sweep goes on with the others.
     * @param grace how long an index entry stays after it was last recorded, and a moved message in its area, at
     * least; shorter than delivered messages are kept in the outbox, or a message delivered and deleted is appended
     * again
     * @return how many messages were appended to the outbox
     */
    public int sweep(Duration grace) {
        Set<String> tags = this.redis.opsForZSet().range(indexKey(), 0, -1);
        if (tags == null) {
            return 0;
        }
        int appended = 0;
        for (String tag : tags) {
            try {
                appended += move(tag);
                int missing = settle(tag, grace);
                if (missing > 0) {
                    logger.warn("Appended {} outbox message(s) staged under {{}} again: they were moved to the outbox "
                            + "and later missing from it (a failover of the outbox's Redis master, say)", missing, tag);
                }
                appended += missing;
                if (staged(tag) == 0 && moved(tag) == 0) {
                    this.redis.execute(RedisOutboxScripts.UNINDEX, List.of(indexKey()), tag,
                            Long.toString(grace.toMillis()));
                }
            }
            catch (RuntimeException ex) {
                logger.warn("Could not move the outbox messages staged under {{}}; trying again at the next sweep", tag,
                        ex);
            }
        }
        return appended;
    }

    /**
     * Returns the tags of the staging areas in the index.
     * @return the tags, those that may hold messages
     */
    public Set<String> indexed() {
        Set<String> tags = this.redis.opsForZSet().range(indexKey(), 0, -1);
        return (tags != null) ? tags : Set.of();
    }

    private String indexKey() {
        return this.outboxPrefix + "staged";
    }

    private String moversKey() {
        return this.outboxPrefix + "staged-movers";
    }

    @Override
    public String toString() {
        return "RedisOutboxStaging[keys " + this.keyPrefix + "{*}:outbox-staged*, " + indexKey() + "]";
    }
}
