package dev.quark.samples.cluster;

import java.time.Instant;
import java.util.List;

import dev.quark.actor.ActorRefFactory;

import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code POST /pulses/{id}?periodMillis=1000} starts a {@link Pulse} (a reminder every second);
 * {@code POST /pulses/{id}/once?dueAt=2026-12-04T12:00:00Z} gives it a one-shot reminder;
 * {@code GET /pulses?ids=a,b} reads pulses, one call to each, wherever in the cluster it lives. Which silo fires
 * which pulse's reminder: {@code GET /silo/pulses?ids=} ({@link SiloController}).
 */
@RestController
class PulseController {

    private final ActorRefFactory actors;

    PulseController(ActorRefFactory actors) {
        this.actors = actors;
    }

    @PostMapping("/pulses/{id}")
    PulseReport start(@PathVariable String id, @RequestParam(defaultValue = "1000") long periodMillis) {
        if (periodMillis < 1) {
            throw new IllegalArgumentException("periodMillis must be at least 1, was " + periodMillis);
        }
        return this.actors.get(Pulse.class, id).start(periodMillis);
    }

    @PostMapping("/pulses/{id}/once")
    PulseReport remindOnce(@PathVariable String id, @RequestParam Instant dueAt) {
        return this.actors.get(Pulse.class, id).remindOnce(dueAt);
    }

    @GetMapping("/pulses")
    List<PulseReport> read(@RequestParam List<String> ids) {
        return ids.stream().map((id) -> this.actors.get(Pulse.class, id).report()).toList();
    }
}
