package dev.quark.runtime.flood;

import dev.quark.actor.QuarkActor;

/** An actor whose activation holds a fixed amount of heap, so that live activations show in the heap. */
@QuarkActor
public class BallastActor implements Ballast {

    static final int BYTES = 8 * 1024;

    private final byte[] payload = new byte[BYTES];

    @Override
    public int size() {
        return this.payload.length;
    }
}
