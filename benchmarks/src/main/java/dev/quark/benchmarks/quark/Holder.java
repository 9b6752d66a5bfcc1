package dev.quark.benchmarks.quark;

import java.util.concurrent.CompletableFuture;

import dev.quark.actor.Actor;
import dev.quark.actor.OneWay;
import dev.quark.benchmarks.Completion;

/**
 * An actor that holds one {@code int}: what an idle activation costs. Its first message comes in the
 * blocking style ({@link #hold}) or the asynchronous one ({@link #holdAsync}).
 */
public interface Holder extends Actor {

    @OneWay
    void hold(int value, Completion started);

    CompletableFuture<Void> holdAsync(int value, Completion started);
}
