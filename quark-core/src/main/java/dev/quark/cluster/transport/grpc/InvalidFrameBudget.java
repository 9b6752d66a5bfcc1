package dev.quark.cluster.transport.grpc;

import org.jspecify.annotations.Nullable;

/**
 * How many of a stream's last frames were invalid (frames no Quark silo sends), over a sliding count of frames:
 * one bit per frame of the window, so that a peer mixing invalid frames with valid envelopes, which the count of
 * unreadable frames in a row never catches, is caught once more than the budget of the window is invalid. A
 * valid frame costs a counter increment while none of the window is invalid, and the bits exist only while some
 * of the window is: they are allocated on an invalid frame and let go once the window holds none again, so that
 * the streams of Quark silos, idle streams and streams refused at their handshake cost no bits (12.5 KB per stream
 * at the largest window). Not thread-safe: used by the one thread gRPC calls a stream back on at a time.
 */
final class InvalidFrameBudget {

    private final int max;

    private final int window;

    /**
     * Bit {@code n % window} tells whether the stream's frame {@code n} was invalid, for its last window frames;
     * {@code null} while none of them is (every bit would be clear).
     */
    private long @Nullable [] invalidBits;

    private long frames;

    private int invalidInWindow;

    /**
     * Creates the budget of a stream.
     * @param max the most invalid frames tolerated among the last {@code window}
     * @param window how many of the stream's last frames are counted
     */
    InvalidFrameBudget(int max, int window) {
        this.max = max;
        this.window = window;
    }

    /**
     * Counts a valid frame of the stream: an envelope, also one refused for its size, its form or its target silo.
     */
    void valid() {
        if (this.invalidInWindow == 0) {
            // Every bit of the window is clear: the slot this frame takes is clear already.
            this.frames++;
            return;
        }
        count(false);
    }

    /**
     * Counts an invalid frame of the stream.
     * @return whether more than the budget of the last window frames were invalid, this one included
     */
    boolean invalid() {
        count(true);
        return this.invalidInWindow > this.max;
    }

    private void count(boolean invalidFrame) {
        int slot = (int) (this.frames++ % this.window);
        long[] bits = this.invalidBits;
        if (bits == null) {
            // Only an invalid frame gets here without bits: valid() counts a frame without them while none of the
            // window is invalid.
            bits = new long[(this.window + 63) / 64];
            this.invalidBits = bits;
        }
        long bit = 1L << (slot & 63);
        boolean wasInvalid = (bits[slot >>> 6] & bit) != 0;
        if (wasInvalid != invalidFrame) {
            bits[slot >>> 6] ^= bit;
            this.invalidInWindow += invalidFrame ? 1 : -1;
        }
        if (this.invalidInWindow == 0) {
            // Every bit is clear again: valid() needs none until the next invalid frame.
            this.invalidBits = null;
        }
    }

    /**
     * Returns whether the budget holds its bits now: only while some of the window is invalid.
     * @return whether the bits are allocated
     */
    boolean holdsBits() {
        return this.invalidBits != null;
    }

    /**
     * Returns how many frames the count spans now: the window, or fewer while the stream has had fewer.
     * @return the frames counted
     */
    int counted() {
        return (int) Math.min(this.frames, this.window);
    }

    /**
     * Returns how many of the last window frames were invalid.
     * @return the count
     */
    int invalidInWindow() {
        return this.invalidInWindow;
    }

    /**
     * Returns how many frames the budget counts over.
     * @return the window
     */
    int window() {
        return this.window;
    }

    /**
     * Returns the most invalid frames tolerated in the window.
     * @return the budget
     */
    int max() {
        return this.max;
    }
}
