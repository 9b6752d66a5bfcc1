package dev.quark.messaging.store.redis;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.data.redis.connection.RedisClusterConnection;
import org.springframework.data.redis.connection.RedisClusterNode;
import org.springframework.data.redis.core.Cursor;
import org.springframework.data.redis.core.RedisCallback;
import org.springframework.data.redis.core.ScanOptions;
import org.springframework.data.redis.core.StringRedisTemplate;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

/**
 * The outbox's staging areas on a Redis Cluster, where a state's save (or an event append) cannot append its messages
 * to the {@code {outbox}} slot in its own script: the script stages them in the state's slot instead, and they are
 * moved to the outbox right after the save, or by {@link #sweep} when that move failed or its process died. One
 * staging area per hash slot, under the slot's hash tag ({@code RedisSlotTags}):
 * <pre>
 * {prefix}{&lt;tag&gt;}:outbox-staged           hash: message id -&gt; its append arguments (JSON array)
 * {prefix}{&lt;tag&gt;}:outbox-staged-order     sorted set: message id -&gt; staging sequence
 * {prefix}{&lt;tag&gt;}:outbox-staged-seq       string: the last staging sequence drawn (INCR)
 * {prefix}{&lt;tag&gt;}:outbox-staged-moved     sorted set: moved message id -&gt; staging sequence, kept for the re-check
 * {prefix}{&lt;tag&gt;}:outbox-staged-moved-at  hash: moved message id -&gt; when moved (ms)
 * {prefix}{&lt;tag&gt;}:outbox-staged-unreadable hash: id -&gt; unreadable staged arguments, for an operator
 * {prefix}{outbox}:staged                  sorted set: tag of an area that may hold messages -&gt; when last recorded (ms)
 * </pre>
 * <b>Index before write.</b> A save records its area's tag in {@code staged} (at Redis's time) before its script runs,
 * so every area that may hold messages is in the index, whether the save then succeeds, is refused or its process
 * dies. The index lives on the {@code {outbox}} slot's master and is replicated asynchronously: a failover can lose an
 * entry. So a move that fails records its area again, and every {@value #REINDEX_EVERY}th sweep (and the first of each
 * process) rebuilds the index from a {@code SCAN} of every master for staging areas. <b>Move.</b> A mover reads up to
 * {@value #MOVE_BATCH} staged messages in staging order, appends them to the outbox in one {@code {outbox}} script,
 * in that order, skipping those already there, and then marks them moved. Movers run at once without a fence (a
 * save's and any node's sweep): each reads a prefix of the unmoved messages, those before it are in the outbox, and
 * the script appends only the missing ones; so each message is appended once and one area's messages in staging
 * order, and a save's mover returns only once everything staged before it returned is in the outbox; it moves no
 * further than the last message staged when it started, leaving later saves' messages to their own movers.
 * A staged message that cannot be read is set aside in {@code outbox-staged-unreadable}, logged at {@code ERROR}.
 * <b>Sweep.</b> {@link #sweep} looks at every indexed area in one step of the area's slot; moves the staged messages
 * of an area that has some; moves again, in staging order, the messages moved at least a grace period ago, which
 * appends those the outbox lost since (a failover of its master before it replicated them: the area's master still
 * has them), and forgets them, forgetting unread those moved longer than a maximum age (less the grace period)
 * ago; and removes from the index an area it found empty when its entry is older than the grace period, checked by
 * Redis's clock in the {@code {outbox}} script that removes it.
 */
public final class RedisOutboxStaging {

    /** The most messages one move's {@code {outbox}} script appends. */
    static final int MOVE_BATCH = 100;

    /** The most batches one sweep moves from an area, so that a busy area does not hold a sweep up for long. */
    private static final int MAX_BATCHES = 100;

    /** Every how many sweeps the index is rebuilt from the staging areas found in the cluster. */
    public static final int REINDEX_EVERY = 360;

    private static final String AREA_SUFFIX = "}:outbox-staged";

    private static final Logger logger = LoggerFactory.getLogger(RedisOutboxStaging.class);

    private static final TypeReference<List<String>> ARGUMENTS = new TypeReference<>() {
    };

    private final StringRedisTemplate redis;

    private final String keyPrefix;

    private final String outboxPrefix;

    private final JsonMapper json = JsonMapper.shared();

    private final AtomicInteger sweepsSinceReindex = new AtomicInteger(REINDEX_EVERY);

    /** How many sweeps the next rebuild waits after a failed one; doubles with each failure, up to a period. */
    private final AtomicInteger reindexBackOff = new AtomicInteger(1);

    RedisOutboxStaging(StringRedisTemplate redis, String keyPrefix, String outboxPrefix) {
        this.redis = redis;
        this.keyPrefix = keyPrefix;
        this.outboxPrefix = outboxPrefix;
    }

    /**
     * Returns the keys of a staging area, the first three in the order of {@link RedisOutboxScripts#STAGE}.
     * @param tag the area's hash tag
     * @return the staged hash, the staged order, the staging sequence, the moved set, the move times and the
     * unreadable hash
     */
    List<String> areaKeys(String tag) {
        String area = this.keyPrefix + "{" + tag + AREA_SUFFIX;
        return List.of(area, area + "-order", area + "-seq", area + "-moved", area + "-moved-at",
                area + "-unreadable");
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
     * Moves a staging area's messages to the outbox, in staging order, each once, up to the last one staged when it
     * is called: when it returns, every message staged before it was called is in the outbox, whatever other movers
     * ran at once. Messages staged after it was called are left to their own savers' movers and to the sweep, so that
     * a save in a busy slot does not keep moving the later savers' messages.
     * @param tag the area's hash tag, the tag of the hash slot of the states whose messages it holds
     * @return how many messages this call appended to the outbox (those a concurrent mover appended are not counted)
     */
    public int move(String tag) {
        return move(tag, "", Integer.MAX_VALUE);
    }

    /**
     * Moves a staging area's messages up to a staging sequence, in staging order.
     * @param tag the area's hash tag
     * @param upTo the highest staging sequence to move, {@code +inf} for all, or {@code ""} for the last one staged
     * when the first batch is read
     * @param maxBatches the most batches to move
     * @return how many messages this call appended to the outbox
     */
    int move(String tag, String upTo, int maxBatches) {
        List<String> area = areaKeys(tag);
        List<String> keys = List.of(area.get(0), area.get(1), area.get(2));
        String bound = upTo;
        int appended = 0;
        for (int batch = 0; batch < maxBatches; batch++) {
            List<?> staged = this.redis.execute(RedisOutboxScripts.READ_STAGED, keys, Integer.toString(MOVE_BATCH),
                    bound);
            if (staged == null || staged.size() < 2) {
                break;
            }
            bound = staged.get(1).toString();
            Batch read = new Batch(staged, 2);
            setAside(tag, read.unreadable());
            if (!read.ids().isEmpty()) {
                appended += append(read);
                this.redis.execute(RedisOutboxScripts.MARK_MOVED, List.of(area.get(1), area.get(3), area.get(4)),
                        read.ids().toArray());
            }
            if (((Number) staged.getFirst()).intValue() < MOVE_BATCH) {
                break;
            }
        }
        return appended;
    }

    /**
     * Sets staged messages that cannot be read (another version's format, say) aside in the area's unreadable hash,
     * logging each, so that the messages staged behind them move.
     */
    private void setAside(String tag, List<String> unreadable) {
        if (unreadable.isEmpty()) {
            return;
        }
        List<String> area = areaKeys(tag);
        unreadable.forEach((id) -> logger.error("Could not read the outbox message {} staged under {{}}; set it aside "
                + "in {} for an operator, and moved the messages behind it", id, tag, area.get(5)));
        this.redis.execute(RedisOutboxScripts.SET_ASIDE,
                List.of(area.get(0), area.get(1), area.get(3), area.get(4), area.get(5)), unreadable.toArray());
    }

    /**
     * Moves again the messages of a staging area that were moved at least a settle period ago, in staging order,
     * appending those missing from the outbox (lost by a failover of the outbox's master, say), and forgets them;
     * forgets without appending those moved at least the maximum age ago.
     * @param tag the area's hash tag
     * @param settle how long ago they were moved, at least
     * @param maxAge how long ago they were moved, at most, to be appended again
     * @return how many were missing and were appended again
     */
    int settle(String tag, Duration settle, Duration maxAge) {
        List<String> area = areaKeys(tag);
        List<String> keys = List.of(area.get(0), area.get(3), area.get(4));
        int appended = 0;
        for (int batch = 0; batch < MAX_BATCHES; batch++) {
            List<?> settled = this.redis.execute(RedisOutboxScripts.READ_SETTLED, keys,
                    Long.toString(settle.toMillis()), Long.toString(maxAge.toMillis()), Integer.toString(MOVE_BATCH));
            if (settled == null || settled.isEmpty()) {
                break;
            }
            Batch read = new Batch(settled, 1);
            setAside(tag, read.unreadable());
            if (!read.ids().isEmpty()) {
                appended += append(read);
                this.redis.execute(RedisOutboxScripts.FORGET, keys, read.ids().toArray());
            }
            if (((Number) settled.getFirst()).intValue() < MOVE_BATCH) {
                break;
            }
        }
        return appended;
    }

    /** Appends the messages of a batch to the outbox, skipping those there already; returns how many it appended. */
    private int append(Batch batch) {
        Long count = this.redis.execute(RedisOutboxScripts.MOVE, batch.keys(this.outboxPrefix),
                batch.arguments().toArray());
        return (count != null) ? count.intValue() : 0;
    }

    /**
     * Messages read from a staging area: their ids and their append arguments, in staging order, and the ids of
     * those whose arguments could not be read.
     * @param ids the ids
     * @param appends per message its append arguments
     * @param unreadable the ids of messages whose arguments are no JSON array of an append's arguments
     */
    private record Batch(List<String> ids, List<List<String>> appends, List<String> unreadable) {

        private static final JsonMapper JSON = JsonMapper.shared();

        /** Reads a reply of id, arguments, id, arguments, … from the given index. */
        Batch(List<?> reply, int from) {
            this(new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
            for (int i = from; i + 1 < reply.size(); i += 2) {
                String id = reply.get(i).toString();
                List<String> arguments = read(reply.get(i + 1).toString());
                if (arguments != null) {
                    this.ids.add(id);
                    this.appends.add(arguments);
                }
                else {
                    this.unreadable.add(id);
                }
            }
        }

        private static @Nullable List<String> read(String arguments) {
            try {
                List<String> read = JSON.readValue(arguments, ARGUMENTS);
                return (read != null && read.size() == RedisOutboxScripts.ARGUMENTS_PER_MESSAGE
                        && !read.contains(null)) ? read : null;
            }
            catch (RuntimeException ex) {
                return null;
            }
        }

        List<String> keys(String outboxPrefix) {
            List<String> keys = new ArrayList<>(2 + this.ids.size() * RedisOutboxScripts.KEYS_PER_MESSAGE);
            keys.add(outboxPrefix + "seq");
            keys.add(outboxPrefix + "pending");
            for (int i = 0; i < this.ids.size(); i++) {
                keys.add(outboxPrefix + "msg:" + this.ids.get(i));
                keys.add(outboxPrefix + "pending:" + this.appends.get(i).get(3));
                keys.add(outboxPrefix + "keys:" + this.appends.get(i).get(3));
            }
            return keys;
        }

        List<String> arguments() {
            List<String> arguments = new ArrayList<>(this.ids.size() * RedisOutboxScripts.ARGUMENTS_PER_MESSAGE);
            this.appends.forEach(arguments::addAll);
            return arguments;
        }
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
     * Sweeps every indexed staging area: looks at it in one step of its slot and, as it finds it, moves its staged
     * messages to the outbox; moves again those moved at least the grace period ago (appending the ones missing from
     * the outbox) and forgets them, forgetting unread those moved at least the maximum age ago; and removes the area
     * from the index when it is empty and its entry older than the grace period. A save records its area again before
     * each staging, so an entry is removed only when no save recorded it for the grace period, and the area was empty
     * after that: a save whose staging script runs more than the grace period (less the time between this sweep's
     * look and its removal) after it recorded its area can lose the area's entry; its messages are then moved by its
     * own mover, by the next save in the same slot, or after the next rebuild of the index. The first sweep and every
     * {@value #REINDEX_EVERY}th then rebuild the index (after the indexed areas, so that a failing rebuild does not
     * hold them up) and sweep the areas it found missing; a failed rebuild is tried again after 1, 2, 4, … sweeps, at
     * most {@value #REINDEX_EVERY}. A failure of one step is logged, and the sweep goes on.
     * @param grace how long an index entry stays after it was last recorded, and a moved message in its area, at
     * least
     * @param maxAge no longer than the outbox keeps delivered messages and dead letters, or one delivered and deleted
     * is appended again: a moved message is appended again only when it was moved less than {@code maxAge - grace}
     * ago when read, the grace period being the margin for the time between that read and its append
     * @return how many messages were appended to the outbox
     */
    public int sweep(Duration grace, Duration maxAge) {
        Duration reappendable = maxAge.minus(grace).isNegative() ? Duration.ZERO : maxAge.minus(grace);
        int appended = 0;
        for (String tag : indexed()) {
            appended += sweep(tag, grace, reappendable);
        }
        if (this.sweepsSinceReindex.incrementAndGet() >= REINDEX_EVERY) {
            for (String tag : rebuildIndex()) {
                appended += sweep(tag, grace, reappendable);
            }
        }
        return appended;
    }

    /**
     * Rebuilds the index; after a failure, the next attempt waits twice as many sweeps as the last (1, 2, 4, …, at
     * most {@value #REINDEX_EVERY}), so that a cluster that cannot be scanned is not scanned on every sweep.
     */
    private List<String> rebuildIndex() {
        try {
            List<String> found = reindexed();
            this.sweepsSinceReindex.set(0);
            this.reindexBackOff.set(1);
            if (!found.isEmpty()) {
                logger.warn("Recorded {} outbox staging area(s) missing from the index (a failover of the "
                        + "outbox's Redis master, say)", found.size());
            }
            return found;
        }
        catch (RuntimeException ex) {
            int wait = this.reindexBackOff.getAndUpdate((b) -> Math.min(2 * b, REINDEX_EVERY));
            this.sweepsSinceReindex.set(REINDEX_EVERY - wait);
            logger.warn("Could not rebuild the index of the outbox's staging areas; trying again in {} sweep(s)",
                    wait, ex);
            return List.of();
        }
    }

    private int sweep(String tag, Duration grace, Duration maxAge) {
        List<String> area = areaKeys(tag);
        List<?> found;
        try {
            found = this.redis.execute(RedisOutboxScripts.INSPECT, List.of(area.get(1), area.get(3), area.get(4)),
                    Long.toString(grace.toMillis()));
        }
        catch (RuntimeException ex) {
            logger.warn("Could not look at the outbox messages staged under {{}}; trying again at the next sweep", tag,
                    ex);
            return 0;
        }
        if (found == null || found.size() != 3) {
            return 0;
        }
        long staged = ((Number) found.get(0)).longValue();
        long moved = ((Number) found.get(1)).longValue();
        boolean settled = false;
        int appended = 0;
        if (staged > 0) {
            try {
                appended += move(tag, "+inf", MAX_BATCHES);
            }
            catch (RuntimeException ex) {
                logger.warn("Could not move the outbox messages staged under {{}}; trying again at the next sweep",
                        tag, ex);
            }
        }
        if (((Number) found.get(2)).intValue() == 1) {
            try {
                int missing = settle(tag, grace, maxAge);
                if (missing > 0) {
                    logger.warn("Appended {} outbox message(s) staged under {{}} again: they were moved to the outbox "
                            + "and later missing from it (a failover of the outbox's Redis master, say)", missing, tag);
                }
                appended += missing;
                settled = true;
            }
            catch (RuntimeException ex) {
                logger.warn("Could not re-check the outbox messages moved from {{}}; trying again at the next sweep",
                        tag, ex);
            }
        }
        if (staged == 0 && (moved == 0 || settled && moved(tag) == 0)) {
            try {
                this.redis.execute(RedisOutboxScripts.UNINDEX, List.of(indexKey()), tag,
                        Long.toString(grace.toMillis()));
            }
            catch (RuntimeException ex) {
                logger.warn("Could not remove the empty outbox staging area {{}} from the index", tag, ex);
            }
        }
        return appended;
    }

    /**
     * Records in the index every staging area found on the masters of the cluster (a {@code SCAN} of each for the
     * areas' hashes) that is missing from it. Masters the cluster marks as failed are skipped: their slots' new
     * masters are scanned. Does nothing on a standalone Redis, where nothing is staged.
     * @return how many areas were missing from the index
     */
    public int reindex() {
        return reindexed().size();
    }

    private List<String> reindexed() {
        Set<String> tags = this.redis.execute((RedisCallback<Set<String>>) (connection) -> {
            Set<String> found = new HashSet<>();
            if (connection instanceof RedisClusterConnection cluster) {
                ScanOptions options = ScanOptions.scanOptions().match(areaPattern()).count(1000).build();
                for (RedisClusterNode node : cluster.clusterGetNodes()) {
                    if (node.isMaster() && !node.isMarkedAsFail()) {
                        try (Cursor<byte[]> keys = cluster.scan(node, options)) {
                            keys.forEachRemaining((key) -> tagOf(new String(key, StandardCharsets.UTF_8))
                                .ifPresent(found::add));
                        }
                    }
                }
            }
            return found;
        });
        if (tags == null || tags.isEmpty()) {
            return List.of();
        }
        List<?> added = this.redis.execute(RedisOutboxScripts.REINDEX, List.of(indexKey()), tags.toArray());
        return (added != null) ? added.stream().map(Object::toString).toList() : List.of();
    }

    private String areaPattern() {
        StringBuilder pattern = new StringBuilder();
        for (char c : this.keyPrefix.toCharArray()) {
            if ("*?[]\\".indexOf(c) >= 0) {
                pattern.append('\\');
            }
            pattern.append(c);
        }
        return pattern.append("{*").append(AREA_SUFFIX).toString();
    }

    private Optional<String> tagOf(String key) {
        String start = this.keyPrefix + "{";
        if (!key.startsWith(start) || !key.endsWith(AREA_SUFFIX)) {
            return Optional.empty();
        }
        String tag = key.substring(start.length(), key.length() - AREA_SUFFIX.length());
        return (tag.isEmpty() || tag.contains("}")) ? Optional.empty() : Optional.of(tag);
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

    @Override
    public String toString() {
        return "RedisOutboxStaging[keys " + this.keyPrefix + "{*}:outbox-staged*, " + indexKey() + "]";
    }
}
