package dev.quark.messaging.store.redis;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

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
 * {prefix}{outbox}:staged                sorted set: tag of an area that may hold messages -&gt; when last recorded (ms)
 * {prefix}{outbox}:staged-movers         hash: tag -&gt; the token of the area's latest mover
 * </pre>
 * <b>Index before write.</b> A save records its area's tag in {@code staged} (at Redis's time) before its script runs,
 * so every area that may hold messages is in the index, whether the save then succeeds, is refused or its process
 * dies. <b>Move.</b> A mover draws a token for the area ({@code HINCRBY}), reads up to {@value #MOVE_BATCH} staged
 * messages in staging order, appends them to the outbox in one {@code {outbox}} script, in that order, skipping
 * those already there, if its token is still the area's latest, and then removes them from the area. A mover that
 * finds a later token stops: that mover read the area after this one's token, so it moves everything this one read.
 * So two movers at once (a save's and the sweeper) append each message once and one area's messages in staging order.
 * <b>Sweep.</b> {@link #sweep} moves every indexed area and removes from the index an area it found empty when its
 * entry is older than a grace period, checked by Redis's clock in the {@code {outbox}} script that removes it.
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
     * Returns the keys of a staging area, in the order of {@link RedisOutboxScripts#STAGE}.
     * @param tag the area's hash tag
     * @return the staged hash, the staged order and the staging sequence
     */
    List<String> areaKeys(String tag) {
        String area = this.keyPrefix + "{" + tag + "}:outbox-staged";
        return List.of(area, area + "-order", area + "-seq");
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
        int moved = 0;
        for (int batch = 0; batch < MAX_BATCHES; batch++) {
            long token = this.redis.opsForHash().increment(moversKey(), tag, 1);
            List<?> staged = this.redis.execute(RedisOutboxScripts.READ_STAGED, area.subList(0, 2),
                    Integer.toString(MOVE_BATCH));
            if (staged == null || staged.isEmpty()) {
                return moved;
            }
            List<String> ids = new ArrayList<>(staged.size() / 2);
            List<String> keys = new ArrayList<>(3 + staged.size() / 2 * RedisOutboxScripts.KEYS_PER_MESSAGE);
            List<String> arguments = new ArrayList<>(2 + staged.size() / 2 * RedisOutboxScripts.ARGUMENTS_PER_MESSAGE);
            keys.addAll(List.of(moversKey(), this.outboxPrefix + "seq", this.outboxPrefix + "pending"));
            arguments.addAll(List.of(tag, Long.toString(token)));
            for (int i = 0; i < staged.size(); i += 2) {
                String id = staged.get(i).toString();
                List<String> append = this.json.readValue(staged.get(i + 1).toString(), ARGUMENTS);
                ids.add(id);
                keys.add(this.outboxPrefix + "msg:" + id);
                keys.add(this.outboxPrefix + "pending:" + append.get(3));
                keys.add(this.outboxPrefix + "keys:" + append.get(3));
                arguments.addAll(append);
            }
            Long appended = this.redis.execute(RedisOutboxScripts.MOVE, keys, arguments.toArray());
            if (appended == null || appended < 0) {
                return moved;
            }
            this.redis.execute(RedisOutboxScripts.UNSTAGE, area.subList(0, 2), ids.toArray());
            moved += appended.intValue();
            if (ids.size() < MOVE_BATCH) {
                return moved;
            }
        }
        return moved;
    }

    /**
     * Returns how many messages a staging area holds.
     * @param tag the area's hash tag
     * @return how many
     */
    public long staged(String tag) {
        Long count = this.redis.opsForZSet().zCard(areaKeys(tag).get(1));
        return (count != null) ? count : 0;
    }

    /**
     * Moves every indexed staging area's messages to the outbox and removes from the index the areas found empty
     * whose entries are older than the grace period. A save records its area again before each staging, so an entry
     * is removed only when no save recorded it for the grace period, and the area was empty after that: a save whose
     * staging script runs more than the grace period (less the time between this sweep's emptiness check and its
     * removal) after it recorded its area can lose the area's entry; its messages are then moved by its own mover or
     * by the next save in the same slot. A failure of one area is logged, and the sweep goes on with the others.
     * @param grace how long an index entry stays after it was last recorded, at least
     * @return how many messages were moved
     */
    public int sweep(Duration grace) {
        Set<String> tags = this.redis.opsForZSet().range(indexKey(), 0, -1);
        if (tags == null) {
            return 0;
        }
        int moved = 0;
        for (String tag : tags) {
            try {
                moved += move(tag);
                if (staged(tag) == 0) {
                    this.redis.execute(RedisOutboxScripts.UNINDEX, List.of(indexKey()), tag,
                            Long.toString(grace.toMillis()));
                }
            }
            catch (RuntimeException ex) {
                logger.warn("Could not move the outbox messages staged under {{}}; trying again at the next sweep", tag,
                        ex);
            }
        }
        return moved;
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
