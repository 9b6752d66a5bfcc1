package dev.quark.reminder;

import java.util.Arrays;

import org.jspecify.annotations.Nullable;

/**
 * The tick manager's waiting reminders, earliest fire time first (then arrival): a binary heap indexed by
 * {@link ScheduledReminder#queueIndex}, so that removing a reminder finds it at once. Unlike a {@code TreeSet}, whose
 * every insertion allocates a node, queuing a reminder again after each tick allocates nothing: the heap is one array
 * of the reminders themselves. Not thread-safe; the manager's lock guards it.
 */
final class TimingQueue {

    private @Nullable ScheduledReminder[] heap = new ScheduledReminder[64];

    private int size;

    int size() {
        return this.size;
    }

    boolean isEmpty() {
        return this.size == 0;
    }

    /** Returns the earliest reminder, {@code null} when none waits. */
    @Nullable ScheduledReminder first() {
        return (this.size > 0) ? at(0) : null;
    }

    /**
     * Queues a reminder that is not queued.
     * @throws IllegalStateException when it is queued already
     */
    void add(ScheduledReminder reminder) {
        if (reminder.queueIndex >= 0) {
            throw new IllegalStateException("Already queued: " + reminder);
        }
        if (this.size == this.heap.length) {
            this.heap = Arrays.copyOf(this.heap, this.size * 2);
        }
        siftUp(this.size++, reminder);
    }

    /** Takes the earliest reminder out, {@code null} when none waits. */
    @Nullable ScheduledReminder poll() {
        if (this.size == 0) {
            return null;
        }
        ScheduledReminder first = at(0);
        removeAt(0);
        return first;
    }

    /**
     * Takes a reminder out.
     * @return whether it was queued here
     */
    boolean remove(ScheduledReminder reminder) {
        int index = reminder.queueIndex;
        if (index < 0 || index >= this.size || at(index) != reminder) {
            return false;
        }
        removeAt(index);
        return true;
    }

    void clear() {
        for (int i = 0; i < this.size; i++) {
            at(i).queueIndex = -1;
            this.heap[i] = null;
        }
        this.size = 0;
    }

    private void removeAt(int index) {
        ScheduledReminder removed = at(index);
        removed.queueIndex = -1;
        int last = --this.size;
        ScheduledReminder moved = at(last);
        this.heap[last] = null;
        if (index == last) {
            return;
        }
        siftDown(index, moved);
        if (at(index) == moved) {
            siftUp(index, moved);
        }
    }

    private void siftUp(int index, ScheduledReminder reminder) {
        int slot = index;
        while (slot > 0) {
            int parent = (slot - 1) >>> 1;
            ScheduledReminder above = at(parent);
            if (ScheduledReminder.BY_FIRE_TIME.compare(reminder, above) >= 0) {
                break;
            }
            place(slot, above);
            slot = parent;
        }
        place(slot, reminder);
    }

    private void siftDown(int index, ScheduledReminder reminder) {
        int slot = index;
        int half = this.size >>> 1;
        while (slot < half) {
            int child = 2 * slot + 1;
            int right = child + 1;
            if (right < this.size && ScheduledReminder.BY_FIRE_TIME.compare(at(right), at(child)) < 0) {
                child = right;
            }
            if (ScheduledReminder.BY_FIRE_TIME.compare(reminder, at(child)) <= 0) {
                break;
            }
            place(slot, at(child));
            slot = child;
        }
        place(slot, reminder);
    }

    /** The reminder at an index below {@link #size}, which is never empty. */
    @SuppressWarnings("NullAway")
    private ScheduledReminder at(int index) {
        return this.heap[index];
    }

    private void place(int index, ScheduledReminder reminder) {
        this.heap[index] = reminder;
        reminder.queueIndex = index;
    }
}
