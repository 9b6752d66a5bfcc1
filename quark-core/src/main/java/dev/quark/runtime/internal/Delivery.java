package dev.quark.runtime.internal;

/**
 * What became of a message offered to an activation.
 */
enum Delivery {

    /** It runs now or waits in the mailbox. */
    ACCEPTED,

    /** The mailbox is full: the caller may wait for room and offer it again. */
    FULL,

    /** The activation has ended: the caller looks up its successor and offers it there. */
    GONE
}
