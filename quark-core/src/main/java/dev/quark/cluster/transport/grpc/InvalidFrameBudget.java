package dev.quark.cluster.transport.grpc;

/**
 * How many of a stream's last frames were invalid (frames no Quark silo sends), over a sliding count of frames:
 * one bit per frame of the window, so that a peer mixing invalid frames with valid envelopes, which the count of
 * unreadable frames in a row never catches, is caught once more than the budget of the window is invalid. A
 * valid frame costs a counter increment while none of the window is invalid. Not thread-safe: used by
 * the one thread gRPC calls a stream back on at a time.
 */
final class InvalidFrameBudget {

    private final int max;

    private final int window;

    /** Bit {@code n % window} tells whether the stream's frame {@code n} was invalid, for its last window frames. */
    private final long[] invalidBits;

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
        this.invalidBits = new long[(window + 63) / 64];
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
        long bit = 1L << (slot & 63);
        boolean wasInvalid = (this.invalidBits[slot >>> 6] & bit) != 0;
        if (wasInvalid != invalidFrame) {
            this.invalidBits[slot >>> 6] ^= bit;
            this.invalidInWindow += invalidFrame ? 1 : -1;
        }
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
