# Return the EtherType of the Ethernet frame r1 points to (r2 = its length),
# or 0 when the frame is too short.
        r0 = 0
        if r2 < 14 goto out
        r0 = *(u16 *)(r1 + 12)
        r0 = be16 r0
out:
        exit
