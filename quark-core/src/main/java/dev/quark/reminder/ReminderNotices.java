package dev.quark.reminder;

import java.nio.charset.StandardCharsets;
import java.util.Objects;


/**
 * Tells the silo that fires a reminder's bucket of a registration or removal made on another silo, so that a
 * reminder due sooner than that silo's next read of the table fires on time. Added as a listener to a silo's
 * {@link ReminderRegistry}, it hands every change made there to a {@link Sender} as a small notice (the
 * reminder's key) for the reminder's bucket; the cluster wiring sends it to the silo its ring gives the bucket,
 * when that is another silo, as a {@code NOTICE} envelope on topic {@link #TOPIC}; that silo passes it to
 * {@link #received(byte[], ReminderTickManager)}, and its tick manager reads the reminder from the table at once
 * ({@link ReminderTickManager#changedElsewhere(ReminderKey)}).
 * <p>
 * A notice is a hint: one that is lost (the owner stopped, the views disagree) leaves the change to the owner's
 * next refresh, as without notices. The Spring Boot starter and the test kit's {@code TestCluster} connect them
 * when the cluster is on:
 * <pre>{@code
 * registry.addListener(ReminderNotices.sendingTo((bucket, notice) -> {
 *     String owner = routing.view().ring().ownerOf(ReminderBuckets.firstHash(bucket));
 *     if (owner != null && !owner.equals(routing.siloId())) {
 *         routing.notice(owner, ReminderNotices.TOPIC, notice);
 *     }
 * }));
 * routing.onNotice(ReminderNotices.TOPIC, (notice) -> ReminderNotices.received(notice, ticks));
 * }</pre>
 */
public final class ReminderNotices implements ReminderRegistry.Listener {

    /** The topic of reminder notices between silos. */
    public static final String TOPIC = "quark-reminders";


    private final Sender sender;

    private ReminderNotices(Sender sender) {
        this.sender = sender;
    }

    /**
     * Returns a registry listener that hands each change to a sender.
     * @param sender sends a notice towards the silo that fires a bucket
     * @return the listener, to add to the silo's registry
     */
    public static ReminderNotices sendingTo(Sender sender) {
        return new ReminderNotices(Objects.requireNonNull(sender, "sender must not be null"));
    }

    /**
     * Hands a notice another silo sent to this silo's tick manager.
     * @param notice the notice's bytes
     * @param ticks the tick manager
     * @throws IllegalArgumentException when the bytes are not a notice
     */
    public static void received(byte[] notice, ReminderTickManager ticks) {
        ticks.changedElsewhere(decode(notice));
    }

    @Override
    public void registered(ReminderEntry entry) {
        tell(entry.key());
    }

    @Override
    public void unregistered(ReminderKey key) {
        tell(key);
    }

    private void tell(ReminderKey key) {
        this.sender.send(key.bucket(), encode(key));
    }

    /**
     * Returns a notice's bytes: the actor type, the actor id and the name, in UTF-8, separated by NUL.
     * @param key the reminder
     * @return the bytes
     */
    static byte[] encode(ReminderKey key) {
        return key.toText().getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Reads a notice's bytes.
     * @param notice the bytes
     * @return the reminder
     * @throws IllegalArgumentException when they are not three parts separated by NUL, or cannot key a reminder
     */
    static ReminderKey decode(byte[] notice) {
        String text = new String(notice, StandardCharsets.UTF_8);
        return ReminderKey.fromText(text).orElseThrow(() -> new IllegalArgumentException(
                "A reminder notice is 'type NUL id NUL name', not '" + text.replace('\u0000', '|') + "'"));
    }

    /**
     * Sends a notice towards the silo that fires a bucket; does nothing when that is this silo. Must not block,
     * and logs its own failures: a notice is a hint.
     */
    @FunctionalInterface
    public interface Sender {

        /**
         * Sends a notice.
         * @param bucket the reminder's bucket
         * @param notice the notice's bytes
         */
        void send(int bucket, byte[] notice);
    }
}
